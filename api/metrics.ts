/**
 * `GET /metrics`: the Prometheus exposition behind its own bearer token (METRICS_TOKEN), not a
 * tenant key, because metrics describe the whole deployment. Without a token the route does not
 * exist (404), so an unconfigured install never exposes it. The worker's metrics server uses
 * the same check.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { ApiMetrics } from './deps.js';
import { ApiError } from './errors.js';
import { createRouter, errorResponse, publicRoute } from './openapi.js';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * Does an Authorization header carry exactly `Bearer <token>`? Both sides are hashed first so
 * the comparison is constant-time whatever the lengths.
 */
export function bearerTokenMatches(header: string | null | undefined, token: string): boolean {
  if (!header || token === '') return false;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  if (!match) return false;
  return timingSafeEqual(sha256(match[1]), sha256(token));
}

/** The outcome of a scrape request, shared by the API route and the worker's server. */
export type ScrapeDecision = { status: 404 } | { status: 401 } | { status: 200 };

/** 404 when metrics are disabled (no token), 401 without the right bearer token, else 200. */
export function scrapeDecision(authorization: string | null | undefined, token: string | undefined): ScrapeDecision {
  if (!token) return { status: 404 };
  return bearerTokenMatches(authorization, token) ? { status: 200 } : { status: 401 };
}

const getMetrics = publicRoute({
  method: 'get',
  path: '/metrics',
  operationId: 'getMetrics',
  summary: 'Prometheus metrics of this API process',
  description:
    'Prometheus text exposition (requests by route pattern, uploads, process metrics). Needs `Authorization: Bearer <METRICS_TOKEN>`; answers 404 when METRICS_TOKEN is not configured. Not rate limited.',
  tags: ['operations'],
  security: [{ metricsToken: [] }],
  responses: {
    200: { description: 'The metrics.', content: { 'text/plain; version=0.0.4; charset=utf-8': { schema: z.string() } } },
    401: errorResponse('Missing or wrong METRICS_TOKEN (code `unauthorized`).'),
    404: errorResponse('Metrics are disabled: METRICS_TOKEN is not set (code `not_found`).'),
  },
});

/** `GET /metrics`, mounted at the root beside the API. */
export function metricsRoutes(metrics: ApiMetrics | undefined, token: string | undefined) {
  return createRouter().openapi(getMetrics, async (c) => {
    const decision = metrics ? scrapeDecision(c.req.header('authorization'), token) : ({ status: 404 } as const);
    if (decision.status === 404) throw new ApiError(404, 'not_found', 'No such route.');
    if (decision.status === 401) throw new ApiError(401, 'unauthorized', 'Send Authorization: Bearer <METRICS_TOKEN>.', { 'WWW-Authenticate': 'Bearer realm="metrics"' });
    const { contentType, body } = await (metrics as ApiMetrics).render();
    return c.text(body, 200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
  });
}
