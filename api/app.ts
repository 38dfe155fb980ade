/**
 * The Hono application: request ids and logging, security headers, CORS, public routes, then
 * authentication and rate limiting, then the tenant routes, and the single error mapper. Built
 * from injected dependencies so tests run it against real or fake parts.
 */
import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { requireTenant, type AuthOptions, type AuthVariables } from './auth.js';
import type { ApiDeps } from './deps.js';
import { ApiError, handleError } from './errors.js';
import { createJsonLogger } from '../core/logger.js';
import { metricsHandler } from './metrics.js';
import { buildOpenApiDocument } from './openapi.js';
import { observeRequests } from './request-log.js';
import { createTokenBucketLimiter, DEFAULT_RATE_LIMIT, rateLimit } from './rate-limit.js';
import { batchRoutes } from './routes/batches.js';
import { documentRoutes } from './routes/documents.js';
import { healthRoutes } from './routes/health.js';
import { limitsRoutes } from './routes/limits.js';
import { searchRoutes } from './routes/search.js';
import { sessionRoutes } from './routes/session.js';
import { contentSecurityPolicy, corsForOrigins, DEFAULT_CONTENT_SECURITY_POLICY, noStore } from './security.js';
import { createSessionCodec, DEFAULT_SESSION_TTL_SECONDS } from './sessions.js';
import { hasUiBuild, loadStaticUi, policyForUi } from './static-ui.js';

/** Builds the API app; mount it on any server (node-server in production, fetch in tests). */
export function createApp(given: ApiDeps) {
  // One logger for the whole app, so routes can count on `deps.logger`.
  const logger = given.logger ?? createJsonLogger();
  const deps: ApiDeps = { ...given, logger };
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
  // Request id, one JSON log line and the request metrics per request (api/request-log.ts).
  app.use('*', observeRequests(logger, deps.metrics));
  app.use('*', secureHeaders());
  // The web app's inline bootstrap script (and its one styled live region) are allowed by hash,
  // never by 'unsafe-inline'.
  const ui = deps.uiDir && hasUiBuild(deps.uiDir) ? loadStaticUi(deps.uiDir) : undefined;
  app.use('*', contentSecurityPolicy(deps.contentSecurityPolicy ?? policyForUi(DEFAULT_CONTENT_SECURITY_POLICY, ui)));
  app.use('/api/*', noStore());
  if (cors) app.use('/api/*', cors);

  // Public: no credentials, no rate limit.
  app.route('/api/health', healthRoutes(deps));
  app.get('/api/openapi.json', (c) => c.json(openApiDocument));
  app.route('/api/session', sessionRoutes(auth));
  // Operators' scrape endpoint: its own bearer token (METRICS_TOKEN), 404 when that is unset.
  app.get('/metrics', metricsHandler(deps.metrics, deps.metricsToken));

  app.use('/api/*', requireTenant(auth));
  app.use('/api/*', rateLimit(createTokenBucketLimiter(deps.rateLimit ?? DEFAULT_RATE_LIMIT, now)));
  // Tenant routes; each one needs its entry in OPERATIONS (api/openapi.ts), or openapi.test.ts fails.
  app.route('/api/limits', limitsRoutes(deps.limits, deps.temporalUi));
  app.route('/api/batches', batchRoutes(deps));
  app.route('/api/documents', documentRoutes(deps));
  app.route('/api/search', searchRoutes(deps));
  app.all('/api/*', () => {
    throw new ApiError(404, 'not_found', 'No such route.');
  });
  // The web app, public and last, so no API route can ever be shadowed by a file.
  if (ui) {
    app.get('*', (c) => ui.handle(c));
  }
  app.onError((err, c) => handleError(err, c, logger));
  return app;
}
