/**
 * The first middleware of the app: gives every request an id (a sane incoming X-Request-Id is
 * kept, so a proxy's id follows the request), echoes it, and when the request is answered
 * writes one JSON log line and records the request metrics.
 *
 * The log line has the method, the path without its query string, the route pattern, status,
 * duration, tenant and auth mode; never headers, cookies, query strings or bodies, which is
 * where credentials and search text travel.
 */
import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { Logger } from '../core/logger.js';
import type { AuthVariables } from './auth.js';
import type { ApiMetrics } from './deps.js';

/** What an incoming request id may look like: short, and nothing that could break a log line or a header. */
const SANE_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** The incoming X-Request-Id when it is sane, else a fresh UUID. */
export function requestIdFrom(header: string | undefined): string {
  return header !== undefined && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}

/** Paths answered without a log line: polled by machines every few seconds. */
const QUIET_PATHS = new Set(['/api/health', '/metrics']);

export function observeRequests(logger: Logger, metrics: ApiMetrics | undefined): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
    const requestId = requestIdFrom(c.req.header('x-request-id'));
    c.set('requestId', requestId);
    c.header('X-Request-Id', requestId);
    const started = performance.now();
    await next();
    const seconds = (performance.now() - started) / 1000;
    // The pattern of the handler that answered (`/api/batches/:batchId`); a request refused by
    // a middleware (401, 429) is counted under that middleware's pattern (`/api/*`).
    const route = routePath(c) || 'unmatched';
    metrics?.observeRequest(c.req.method, route, c.res.status, seconds);
    if (QUIET_PATHS.has(c.req.path)) return;
    const level = c.res.status >= 500 ? 'error' : 'info';
    logger[level]('request', {
      requestId,
      method: c.req.method,
      path: c.req.path,
      route,
      status: c.res.status,
      tenantId: c.get('tenantId') ?? null,
      auth: c.get('authMode') ?? null,
      ms: Math.round(seconds * 1000),
    });
  };
}
