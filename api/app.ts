/**
 * The Hono application: request ids, security headers, authentication, routes and the single
 * error mapper. Built from injected dependencies so tests run it against real or fake parts.
 */
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { requireTenant, type AuthVariables } from './auth.js';
import type { ApiDeps } from './deps.js';
import { ApiError, handleError } from './errors.js';
import { batchRoutes } from './routes/batches.js';
import { healthRoutes } from './routes/health.js';
import { searchRoutes } from './routes/search.js';

/** Builds the API app; mount it on any server (node-server in production, fetch in tests). */
export function createApp(deps: ApiDeps) {
  const app = new Hono<{ Variables: AuthVariables }>();
  app.use('*', async (c, next) => {
    const requestId = randomUUID();
    c.set('requestId', requestId);
    c.header('X-Request-Id', requestId);
    const started = performance.now();
    await next();
    if (c.req.path !== '/api/health') {
      console.log(JSON.stringify({ level: 'info', requestId, method: c.req.method, path: c.req.path, status: c.res.status, tenantId: c.get('tenantId') ?? null, ms: Math.round(performance.now() - started) }));
    }
  });
  app.use('*', secureHeaders());
  app.route('/api/health', healthRoutes(deps));
  app.use('/api/*', requireTenant(deps.catalog));
  app.route('/api/batches', batchRoutes(deps));
  app.route('/api/search', searchRoutes(deps));
  app.all('/api/*', () => {
    throw new ApiError(404, 'not_found', 'No such route.');
  });
  app.onError(handleError);
  return app;
}
