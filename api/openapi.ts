/**
 * The HTTP edge's building blocks. Every route is declared once with `createRoute` (its path,
 * request schemas and responses); `@hono/zod-openapi` validates requests with those schemas
 * and `GET /api/openapi.json` is generated from them, so the published contract cannot drift
 * from the code. Schemas come from core/ (shared with the web app) and carry their component
 * name there (`.meta({ id })`).
 *
 * Adding a route: in its module under api/routes/, declare it with `publicRoute` or
 * `tenantRoute` (below), then `.openapi(route, handler)` on the module's `createRouter()`.
 * Throw ApiError for failures; a request that fails a schema is answered by `invalidRequest`.
 * api/openapi.test.ts fails when the app serves a route the document does not describe.
 */
import { createRoute, OpenAPIHono, type RouteConfig } from '@hono/zod-openapi';
import { z } from 'zod';
import { ErrorBodySchema, IdSchema } from '../core/contracts.js';
import type { AuthVariables } from './auth.js';
import { invalidRequest } from './errors.js';
import { SESSION_COOKIE } from './session-cookie.js';

/** The variables every handler may read (request id, and the tenant once authenticated). */
export type AppEnv = { Variables: AuthVariables };

/** A router for one route module; schema failures become the one error shape. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw invalidRequest(result.target, result.error);
    },
  });
}

/** A documented JSON answer. */
export const jsonResponse = <S extends z.ZodType>(schema: S, description: string) => ({ description, content: { 'application/json': { schema } } });

/** A documented error answer, always the ErrorBody shape. */
export const errorResponse = (description: string) => jsonResponse(ErrorBodySchema, description);

/** `{batchId}` / `{documentId}` path parameters: the one id pattern, with what it names. */
export const idParam = (description: string) => IdSchema.meta({ description });

const STATE_CHANGING = new Set(['post', 'put', 'patch', 'delete']);

/** A route that needs no tenant credentials and is not rate limited (`security` may name its own scheme). */
export function publicRoute<const R extends RouteConfig>(config: R) {
  return createRoute({ security: [], ...config });
}

/**
 * A route behind authentication and the rate limit: its 401 and 429 (and 403 for a write made
 * with the session cookie but no CSRF token) are documented once, as shared responses.
 */
export function tenantRoute<const R extends RouteConfig>(config: R) {
  return createRoute({
    ...config,
    responses: {
      ...config.responses,
      401: { $ref: '#/components/responses/Unauthorized' },
      ...(STATE_CHANGING.has(config.method) ? { 403: { $ref: '#/components/responses/CsrfFailed' } } : {}),
      429: { $ref: '#/components/responses/RateLimited' },
    },
  });
}

/** The document's own shape, loosely: what a client needs to recognise it. */
export const OpenApiDocumentSchema = z
  .looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) })
  .meta({ id: 'OpenApiDocument' });

const errorBodyRef = { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } };

/** How a caller proves who it is; tenant routes accept either of the first two. */
const SECURITY_SCHEMES = {
  bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API key created with `npm run tenant -- create <tenantId>`.' },
  sessionCookie: {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description: `Set by POST /api/session (named \`__Host-${SESSION_COOKIE}\` over HTTPS). State-changing requests must also send X-CSRF-Token.`,
  },
  metricsToken: { type: 'http', scheme: 'bearer', description: "The operators' METRICS_TOKEN; a tenant API key is refused." },
} as const;

/** The answers every tenant route may give before its handler runs (see tenantRoute). */
const SHARED_RESPONSES = {
  Unauthorized: {
    description: 'No valid API key or session (code `unauthorized`).',
    headers: { 'WWW-Authenticate': { description: 'Always `Bearer`.', schema: { type: 'string' } } },
    content: errorBodyRef,
  },
  CsrfFailed: { description: 'Authenticated by the session cookie without a matching X-CSRF-Token header (code `csrf_failed`).', content: errorBodyRef },
  RateLimited: {
    description: 'Too many requests for this API key or its sessions (code `rate_limited`).',
    headers: { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 1 } } },
    content: errorBodyRef,
  },
} as const;

/** Registers what is not per-route: the security schemes and the shared responses. */
export function registerSharedComponents(app: OpenAPIHono<AppEnv>): void {
  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) app.openAPIRegistry.registerComponent('securitySchemes', name, scheme);
  for (const [name, response] of Object.entries(SHARED_RESPONSES)) app.openAPIRegistry.registerComponent('responses', name, response);
}

type Json = Record<string, unknown>;

/** The OpenAPI 3.1 document of everything registered on `app`; built once, on first request. */
export function buildOpenApiDocument(app: OpenAPIHono<AppEnv>): Json {
  const document = app.getOpenAPI31Document({
    openapi: '3.1.1',
    info: {
      title: 'docflow API',
      version: '0.1.0',
      description: 'Durable document ingestion for retrieval-augmented generation. Errors always have the ErrorBody shape.',
    },
    security: [{ bearerAuth: [] }, { sessionCookie: [] }],
  }) as unknown as Json & { paths: Record<string, Record<string, { tags?: string[] }>> };
  const tags = new Set(Object.values(document.paths).flatMap((item) => Object.values(item).flatMap((op) => op.tags ?? [])));
  // A JSON round trip drops fields left undefined, so the object equals what is served.
  return JSON.parse(JSON.stringify({ ...document, tags: [...tags].map((name) => ({ name })) })) as Json;
}
