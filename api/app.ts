/**
 * The Hono application: request ids and logging, security headers, CORS, public routes, then
 * authentication and rate limiting, then the tenant routes, and the single error mapper. Built
 * from injected dependencies so tests run it against real or fake parts.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { requireTenant, type AuthOptions, type AuthVariables } from './auth.js';
import type { ApiDeps } from './deps.js';
import { ApiError, handleError } from './errors.js';
import { buildOpenApiDocument } from './openapi.js';
import { createTokenBucketLimiter, DEFAULT_RATE_LIMIT, rateLimit } from './rate-limit.js';
import { batchRoutes } from './routes/batches.js';
import { documentRoutes } from './routes/documents.js';
import { healthRoutes } from './routes/health.js';
import { limitsRoutes } from './routes/limits.js';
import { searchRoutes } from './routes/search.js';
import { sessionRoutes } from './routes/session.js';
import { contentSecurityPolicy, corsForOrigins, DEFAULT_CONTENT_SECURITY_POLICY, noStore } from './security.js';
import { createSessionCodec, DEFAULT_SESSION_TTL_SECONDS } from './sessions.js';

/** Builds the API app; mount it on any server (node-server in production, fetch in tests). */
export function createApp(deps: ApiDeps) {
  const now = deps.now ?? Date.now;
  const auth: AuthOptions = {
    catalog: deps.catalog,
    sessions: createSessionCodec({
      secret: deps.sessions?.secret ?? randomBytes(32),
      ttlSeconds: deps.sessions?.ttlSeconds ?? DEFAULT_SESSION_TTL_SECONDS,
      now,
    }),
    cookieSecure: deps.sessions?.cookieSecure ?? false,
  };
  const openApiDocument = buildOpenApiDocument();
  const cors = corsForOrigins(deps.corsOrigins ?? []);

  const app = new Hono<{ Variables: AuthVariables }>();
  app.use('*', async (c, next) => {
    const requestId = randomUUID();
    c.set('requestId', requestId);
    c.header('X-Request-Id', requestId);
    const started = performance.now();
    await next();
    if (c.req.path !== '/api/health') {
      // Path only, never the query string or headers: credentials must not reach the logs.
      console.log(JSON.stringify({ level: 'info', requestId, method: c.req.method, path: c.req.path, status: c.res.status, tenantId: c.get('tenantId') ?? null, auth: c.get('authMode') ?? null, ms: Math.round(performance.now() - started) }));
    }
  });
  app.use('*', secureHeaders());
  app.use('*', contentSecurityPolicy(deps.contentSecurityPolicy ?? DEFAULT_CONTENT_SECURITY_POLICY));
  app.use('/api/*', noStore());
  if (cors) app.use('/api/*', cors);

  // Public: no credentials, no rate limit.
  app.route('/api/health', healthRoutes(deps));
  app.get('/api/openapi.json', (c) => c.json(openApiDocument));
  app.route('/api/session', sessionRoutes(auth));

  app.use('/api/*', requireTenant(auth));
  app.use('/api/*', rateLimit(createTokenBucketLimiter(deps.rateLimit ?? DEFAULT_RATE_LIMIT, now)));
  // Tenant routes; each one needs its entry in OPERATIONS (api/openapi.ts), or openapi.test.ts fails.
  app.route('/api/limits', limitsRoutes(deps.limits));
  app.route('/api/batches', batchRoutes(deps));
  app.route('/api/documents', documentRoutes(deps));
  app.route('/api/search', searchRoutes(deps));
  app.all('/api/*', () => {
    throw new ApiError(404, 'not_found', 'No such route.');
  });
  app.onError(handleError);
  return app;
}
