/**
 * Runs right after Hono's request-id middleware (which keeps a sane incoming X-Request-Id, so a
 * proxy's id follows the request, and echoes it): when the request is answered, writes one
 * JSON log line and records the request metrics.
 *
 * The log line has the method, the path without its query string, the route pattern, status,
 * duration, tenant and auth mode; never headers, cookies, query strings or bodies, which is
 * where credentials and search text travel.
 */
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { Logger } from '../core/logger.js';
import type { AuthVariables } from './auth.js';
import type { ApiMetrics } from './deps.js';

/** Paths answered without a log line: polled by machines every few seconds. */
const QUIET_PATHS = new Set(['/api/health', '/metrics']);

export function observeRequests(logger: Logger, metrics: ApiMetrics | undefined): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
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
      requestId: c.get('requestId'),
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
