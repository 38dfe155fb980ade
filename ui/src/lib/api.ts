/**
 * The only place the web app talks to the API. Every request and answer is typed with the
 * shared HTTP contract in core/, so a change of the contract breaks this build, not a screen.
 * Unsafe methods carry the session's CSRF token; a 401 signs the app out.
 */
import type {
  BatchListResponse,
  BatchView,
  DeleteDocumentResponse,
  DocumentListResponse,
  ErrorBody,
  RetryResponse,
  SearchRequest,
  SearchResponse,
} from '../../../core/contracts.js';
import type { CreateBatchResult, Limits, Session, SessionLoginRequest } from '../../../core/api-schemas.js';
import type { BatchStatus, DocumentStatus } from '../../../core/progress.js';

/** An API error answer, with the contract's code and the request id for support. */
export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null,
  ) {
    super(message);
    this.name = 'ApiRequestError';
  }
}

let csrfToken: string | null = null;
let onUnauthorized: () => void = () => {};

/** Remembers the CSRF token of the current session (kept in memory only). */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** The CSRF header for requests made outside this module (the XHR upload). */
export function csrfHeaders(): Record<string, string> {
  return csrfToken ? { 'X-CSRF-Token': csrfToken } : {};
}

/** Called when any request answers 401: the session ended or the key was revoked. */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

/** Turns a non-2xx answer into an ApiRequestError with the server's code and message. */
export async function errorFrom(status: number, bodyText: string): Promise<ApiRequestError> {
  try {
    const body = JSON.parse(bodyText) as ErrorBody;
    return new ApiRequestError(status, body.error.code, body.error.message, body.error.requestId);
  } catch {
    return new ApiRequestError(status, 'http_error', `HTTP ${status}`, null);
  }
}

async function request<T>(method: string, path: string, body?: unknown, options: { allow401?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') Object.assign(headers, csrfHeaders());
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  } catch {
    throw new ApiRequestError(0, 'network_error', 'network error', null);
  }
  if (!res.ok) {
    const err = await errorFrom(res.status, await res.text());
    if (res.status === 401 && !options.allow401) onUnauthorized();
    throw err;
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') search.set(k, String(v));
  const text = search.toString();
  return text ? `?${text}` : '';
}

export const api = {
  signIn: (body: SessionLoginRequest) => request<Session>('POST', '/api/session', body, { allow401: true }),
  session: () => request<Session>('GET', '/api/session', undefined, { allow401: true }),
  signOut: () => request<void>('DELETE', '/api/session'),
  limits: () => request<Limits>('GET', '/api/limits'),
  batch: (batchId: string) => request<BatchView>('GET', `/api/batches/${encodeURIComponent(batchId)}`),
  batches: (params: { status?: BatchStatus; cursor?: string; limit?: number }) => request<BatchListResponse>('GET', `/api/batches${query(params)}`),
  cancelBatch: (batchId: string) => request<unknown>('POST', `/api/batches/${encodeURIComponent(batchId)}/cancel`),
  retryBatch: (batchId: string) => request<RetryResponse>('POST', `/api/batches/${encodeURIComponent(batchId)}/retry`),
  retryDocument: (documentId: string) => request<RetryResponse>('POST', `/api/documents/${encodeURIComponent(documentId)}/retry`),
  documents: (params: { status?: DocumentStatus; batchId?: string; cursor?: string; limit?: number }) => request<DocumentListResponse>('GET', `/api/documents${query(params)}`),
  deleteDocument: (documentId: string) => request<DeleteDocumentResponse>('DELETE', `/api/documents/${encodeURIComponent(documentId)}`),
  search: (body: SearchRequest) => request<SearchResponse>('POST', '/api/search', body),
};

/** The events URL of a batch, for EventSource (which sends the cookie by itself). */
export function batchEventsUrl(batchId: string): string {
  return `/api/batches/${encodeURIComponent(batchId)}/events`;
}

/** Where the Temporal Web UI shows a workflow run. */
export function temporalRunUrl(link: Limits['temporalUi'], workflowId: string): string | null {
  if (!link) return null;
  return `${link.baseUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(link.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** The answer type of an upload, re-exported for the upload module. */
export type { CreateBatchResult };
