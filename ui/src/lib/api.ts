/**
 * The only place the web app talks to the API. Every request is typed, and every answer is
 * parsed, with the shared HTTP contract in core/ (the zod schemas the API validates with and
 * publishes), so a change of the contract breaks this build or fails loudly here, not in a
 * screen. Unsafe methods carry the session's CSRF token; a 401 signs the app out.
 */
import type { z } from 'zod';
import {
  BatchListResponseSchema,
  BatchViewSchema,
  DeleteDocumentResponseSchema,
  DocumentChunksResponseSchema,
  DocumentDetailSchema,
  DocumentListResponseSchema,
  EmbeddingModelStateSchema,
  ErrorBodySchema,
  ModelSwitchCancelResponseSchema,
  ModelSwitchViewSchema,
  ReindexResponseSchema,
  RetryResponseSchema,
  SearchResponseSchema,
  type ReindexRequest,
  type SearchRequestBody,
} from '../../../core/contracts.js';
import { LimitsSchema, SessionSchema, type CreateBatchResult, type Limits, type SessionLoginRequest } from '../../../core/api-schemas.js';
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
export function errorFrom(status: number, bodyText: string): ApiRequestError {
  const parsed = ErrorBodySchema.safeParse(parseJson(bodyText));
  if (!parsed.success) return new ApiRequestError(status, 'http_error', `HTTP ${status}`, null);
  const { code, message, requestId } = parsed.data.error;
  return new ApiRequestError(status, code, message, requestId);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A 2xx answer checked against its contract schema; a mismatch is an error, never a half-read view. */
export function parseAnswer<S extends z.ZodType>(schema: S, body: unknown, status: number): z.infer<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new ApiRequestError(status, 'unexpected_answer', `The server's answer does not match the contract: ${parsed.error.issues[0]?.message ?? ''}`, null);
  return parsed.data;
}

/** An answer with no body to read (204). */
const NO_BODY = null;

async function request<S extends z.ZodType>(schema: S | typeof NO_BODY, method: string, path: string, body?: unknown, options: { allow401?: boolean } = {}): Promise<z.infer<S>> {
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
    const err = errorFrom(res.status, await res.text());
    if (res.status === 401 && !options.allow401) onUnauthorized();
    throw err;
  }
  if (schema === NO_BODY) return undefined as z.infer<S>;
  return parseAnswer(schema, parseJson(await res.text()), res.status);
}

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') search.set(k, String(v));
  const text = search.toString();
  return text ? `?${text}` : '';
}

export const api = {
  signIn: (body: SessionLoginRequest) => request(SessionSchema, 'POST', '/api/session', body, { allow401: true }),
  session: () => request(SessionSchema, 'GET', '/api/session', undefined, { allow401: true }),
  signOut: () => request(NO_BODY, 'DELETE', '/api/session'),
  limits: () => request(LimitsSchema, 'GET', '/api/limits'),
  batch: (batchId: string) => request(BatchViewSchema, 'GET', `/api/batches/${encodeURIComponent(batchId)}`),
  batches: (params: { status?: BatchStatus; cursor?: string; limit?: number }) => request(BatchListResponseSchema, 'GET', `/api/batches${query(params)}`),
  cancelBatch: (batchId: string) => request(BatchViewSchema, 'POST', `/api/batches/${encodeURIComponent(batchId)}/cancel`),
  retryBatch: (batchId: string) => request(RetryResponseSchema, 'POST', `/api/batches/${encodeURIComponent(batchId)}/retry`),
  reindexBatch: (batchId: string, body: ReindexRequest) => request(ReindexResponseSchema, 'POST', `/api/batches/${encodeURIComponent(batchId)}/reindex`, body),
  retryDocument: (documentId: string) => request(RetryResponseSchema, 'POST', `/api/documents/${encodeURIComponent(documentId)}/retry`),
  documents: (params: { status?: DocumentStatus; batchId?: string; cursor?: string; limit?: number }) =>
    request(DocumentListResponseSchema, 'GET', `/api/documents${query(params)}`),
  reindexDocument: (documentId: string, body: ReindexRequest) => request(ReindexResponseSchema, 'POST', `/api/documents/${encodeURIComponent(documentId)}/reindex`, body),
  deleteDocument: (documentId: string) => request(DeleteDocumentResponseSchema, 'DELETE', `/api/documents/${encodeURIComponent(documentId)}`),
  document: (documentId: string) => request(DocumentDetailSchema, 'GET', `/api/documents/${encodeURIComponent(documentId)}`),
  documentChunks: (documentId: string, params: { cursor?: string; limit?: number }) =>
    request(DocumentChunksResponseSchema, 'GET', `/api/documents/${encodeURIComponent(documentId)}/chunks${query(params)}`),
  search: (body: SearchRequestBody) => request(SearchResponseSchema, 'POST', '/api/search', body),
  embeddingModel: () => request(EmbeddingModelStateSchema, 'GET', '/api/embedding-model'),
  switchEmbeddingModel: (model: string) => request(ModelSwitchViewSchema, 'POST', '/api/embedding-model', { model }),
  cancelModelSwitch: () => request(ModelSwitchCancelResponseSchema, 'POST', '/api/embedding-model/cancel'),
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

/** Where the Temporal Web UI lists every run of a batch (its search attribute), retries included. */
export function temporalBatchRunsUrl(link: Limits['temporalUi'], batchId: string): string | null {
  if (!link) return null;
  const filter = encodeURIComponent(`DocflowBatch="${batchId}"`);
  return `${link.baseUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(link.namespace)}/workflows?query=${filter}`;
}

/** The answer type of an upload, re-exported for the upload module. */
export type { CreateBatchResult };
