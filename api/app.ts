/**
 * The Hono application: request ids and logging, security headers, CORS, public routes, then
 * authentication and rate limiting, then the tenant routes, and the single error mapper. Built
 * from injected dependencies so tests run it against real or fake parts. Every route is an
 * OpenAPI route (api/openapi.ts), so `GET /api/openapi.json` describes exactly what is served.
 */
import { randomBytes } from 'node:crypto';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { requireTenant, type AuthOptions } from './auth.js';
import { createBatchService } from './batch-service.js';
import type { ApiDeps } from './deps.js';
import { ApiError, handleError } from './errors.js';
import { createJsonLogger } from '../core/logger.js';
import { metricsRoutes } from './metrics.js';
import { buildOpenApiDocument, createRouter, jsonResponse, OpenApiDocumentSchema, publicRoute, registerSharedComponents } from './openapi.js';
import { observeRequests } from './request-log.js';
import { createTokenBucketLimiter, DEFAULT_RATE_LIMIT, rateLimit } from './rate-limit.js';
import { batchRoutes } from './routes/batches.js';
import { documentRoutes } from './routes/documents.js';
import { embeddingModelRoutes } from './routes/embedding-model.js';
import { healthRoutes } from './routes/health.js';
import { limitsRoutes } from './routes/limits.js';
import { searchRoutes } from './routes/search.js';
import { sessionRoutes } from './routes/session.js';
import { contentSecurityPolicy, corsForOrigins, DEFAULT_CONTENT_SECURITY_POLICY, noStore } from './security.js';
import { createSessionCodec, DEFAULT_SESSION_TTL_SECONDS } from './sessions.js';
import { hasUiBuild, loadStaticUi, policyForUi } from './static-ui.js';

const getOpenApiDocument = publicRoute({
  method: 'get',
  path: '/api/openapi.json',
  operationId: 'getOpenApiDocument',
  summary: 'This document',
  tags: ['operations'],
  responses: { 200: jsonResponse(OpenApiDocumentSchema, 'The OpenAPI 3.1 document.') },
});

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
  const batches = createBatchService({ ...deps, logger });
  const cors = corsForOrigins(deps.corsOrigins ?? []);

  const app = createRouter();
  // A sane incoming X-Request-Id is kept (a proxy's id follows the request), else a UUID.
  app.use('*', requestId({ limitLength: 128 }));
  // One JSON log line and the request metrics per request (api/request-log.ts).
  app.use('*', observeRequests(logger, deps.metrics));
  app.use('*', secureHeaders());
  // The web app's inline bootstrap script (and its one styled live region) are allowed by hash,
  // never by 'unsafe-inline'. A policy string of its own (not secureHeaders' directive object),
  // because CONTENT_SECURITY_POLICY replaces the whole header value.
  const ui = deps.uiDir && hasUiBuild(deps.uiDir) ? loadStaticUi(deps.uiDir) : undefined;
  app.use('*', contentSecurityPolicy(deps.contentSecurityPolicy ?? policyForUi(DEFAULT_CONTENT_SECURITY_POLICY, ui)));
  app.use('/api/*', noStore());
  if (cors) app.use('/api/*', cors);
  registerSharedComponents(app);

  // Public: no credentials, no rate limit. The metrics scrape has its own token (METRICS_TOKEN).
  let document: Record<string, unknown> | undefined;
  const publicApi = app
    .route('/api/health', healthRoutes(deps))
    .route('/api/session', sessionRoutes(auth))
    .route('/', metricsRoutes(deps.metrics, deps.metricsToken))
    .openapi(getOpenApiDocument, (c) => c.json((document ??= buildOpenApiDocument(app)) as never, 200));

  publicApi.use('/api/*', requireTenant(auth));
  publicApi.use('/api/*', rateLimit(createTokenBucketLimiter(deps.rateLimit ?? DEFAULT_RATE_LIMIT, now)));
  const api = publicApi
    .route('/api/limits', limitsRoutes(deps.limits, deps.temporalUi))
    .route('/api/batches', batchRoutes(deps, batches))
    .route('/api/documents', documentRoutes(deps, batches))
    .route('/api/search', searchRoutes(deps))
    .route('/api/embedding-model', embeddingModelRoutes(deps));

  api.all('/api/*', () => {
    throw new ApiError(404, 'not_found', 'No such route.');
  });
  // The web app, public and last, so no API route can ever be shadowed by a file.
  if (ui) api.get('*', (c) => ui.handle(c));
  api.onError((err, c) => handleError(err, c, logger));
  return api;
}

/** The app's type, routes and all: what `hc<ApiApp>` (Hono's typed client) is built from. */
export type ApiApp = ReturnType<typeof createApp>;
