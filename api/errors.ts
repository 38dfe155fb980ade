/**
 * One error shape for every answer that is not a success: `{ error: { code, message, requestId } }`.
 * Routes, middleware and the request validators throw; the app's single `onError` (handleError)
 * writes the body. ApiError is Hono's HTTPException with a stable machine-readable code, so
 * Hono's own exceptions (a malformed JSON body, a refused media type) take the same path.
 * Anything else becomes a 500 whose details stay in the log, not in the response.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import type { ErrorBody } from '../core/contracts.js';
import type { Logger } from '../core/logger.js';

/** An error meant for the client, with a stable machine-readable code and optional headers. */
export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(status, { message });
    this.name = 'ApiError';
  }
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);

/** Codes for the HTTPExceptions Hono and its validators throw themselves. */
const CODE_BY_STATUS: Partial<Record<number, string>> = {
  400: 'bad_request',
  401: 'unauthorized',
  404: 'not_found',
  413: 'too_large',
  415: 'unsupported_media_type',
};

/** Which request part a validator checked, as Hono names it. */
type ValidationTarget = 'json' | 'form' | 'query' | 'param' | 'header' | 'cookie';

/**
 * The error for a request that failed its route's zod schema, listing every problem. A path
 * parameter that does not even look like an id names nothing that could exist, so it is a 404
 * like any other missing resource.
 */
export function invalidRequest(target: ValidationTarget, error: z.ZodError): ApiError {
  const problems = error.issues.map((i) => `${i.path.join('.') || (target === 'json' ? 'body' : target)}: ${i.message}`).join('; ');
  if (target === 'param') return new ApiError(404, 'not_found', `Not found (${problems}).`);
  return new ApiError(400, 'bad_request', problems);
}

/** The app's onError: every thrown error becomes the one body shape. */
export function handleError(err: Error, c: Context, logger: Logger): Response {
  const requestId = (c.get('requestId' as never) as string | undefined) ?? 'unknown';
  const answer = (status: ContentfulStatusCode, code: string, message: string) => c.json({ error: { code, message, requestId } } satisfies ErrorBody, status);
  if (err instanceof ApiError) {
    for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
    return answer(err.status, err.code, err.message);
  }
  if (err instanceof HTTPException && err.status < 500) {
    const status = err.status as ContentfulStatusCode;
    return answer(status, CODE_BY_STATUS[status] ?? 'bad_request', err.message || `HTTP ${status}`);
  }
  logger.error('unhandled error', { requestId, tenantId: c.get('tenantId' as never), error: err.stack ?? String(err) });
  return answer(500, 'internal_error', 'Something went wrong on our side.');
}
