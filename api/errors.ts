/**
 * One error shape for every route: `{ error: { code, message, requestId } }`. Routes throw
 * ApiError; anything else becomes a 500 whose details stay in the log, not in the response.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from '../core/logger.js';

/** An error meant for the client, with a stable machine-readable code. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);

/** Hono onError handler mapping every error to the one body shape. */
export function handleError(err: Error, c: Context, logger: Logger): Response {
  const requestId = (c.get('requestId' as never) as string | undefined) ?? 'unknown';
  if (err instanceof ApiError) {
    for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
    return c.json({ error: { code: err.code, message: err.message, requestId } }, err.status);
  }
  logger.error('unhandled error', { requestId, tenantId: c.get('tenantId' as never), error: err.stack ?? String(err) });
  return c.json({ error: { code: 'internal_error', message: 'Something went wrong on our side.', requestId } }, 500);
}
