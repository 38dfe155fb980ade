/**
 * `GET /metrics`: the Prometheus exposition behind its own bearer token (METRICS_TOKEN), not a
 * tenant key, because metrics describe the whole deployment. Without a token the route does not
 * exist (404), so an unconfigured install never exposes it. The worker's metrics server uses
 * the same check.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import type { ApiMetrics } from './deps.js';

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

/** The Hono handler for `GET /metrics`. */
export function metricsHandler(metrics: ApiMetrics | undefined, token: string | undefined) {
  return async (c: Context) => {
    const requestId = (c.get('requestId' as never) as string | undefined) ?? 'unknown';
    const decision = metrics ? scrapeDecision(c.req.header('authorization'), token) : ({ status: 404 } as const);
    if (decision.status === 404) return c.json({ error: { code: 'not_found', message: 'No such route.', requestId } }, 404);
    if (decision.status === 401) {
      c.header('WWW-Authenticate', 'Bearer realm="metrics"');
      return c.json({ error: { code: 'unauthorized', message: 'Send Authorization: Bearer <METRICS_TOKEN>.', requestId } }, 401);
    }
    const { contentType, body } = await (metrics as ApiMetrics).render();
    c.header('Content-Type', contentType);
    c.header('Cache-Control', 'no-store');
    return c.body(body, 200);
  };
}
