/**
 * Browser-facing hardening that is not authentication: the Content-Security-Policy, no caching
 * of API answers, and CORS, which stays closed (no headers at all) unless origins are configured.
 */
import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';

/**
 * The UI is served from this same origin, so everything may come from 'self' and nothing else:
 * no inline or eval'd script, no plugins, no framing, forms and <base> pinned to this origin.
 * When the API serves the web app, api/static-ui.ts adds the hashes of its inline bootstrap
 * script (and of the route announcer's one style attribute) to this policy, never
 * 'unsafe-inline'; CONTENT_SECURITY_POLICY replaces this whole value when a deployment needs more.
 */
export const DEFAULT_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Sets the CSP on every response, including errors and the SSE stream. */
export function contentSecurityPolicy(policy: string): MiddlewareHandler {
  return async (c, next) => {
    await next();
    c.res.headers.set('Content-Security-Policy', policy);
  };
}

/** API answers carry tenant data: no browser or proxy cache may keep them. */
export function noStore(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    c.res.headers.set('Cache-Control', 'no-store');
  };
}

/** Headers a cross-origin UI needs to send, and those it may read back. */
const ALLOW_HEADERS = ['Authorization', 'Content-Type', 'X-CSRF-Token', 'Idempotency-Key', 'Last-Event-ID'];
const EXPOSE_HEADERS = ['X-Request-Id', 'Retry-After'];

/**
 * CORS for exactly the listed origins, with credentials so a cookie session works from them.
 * Requests from any other origin pass through untouched, so they get no CORS headers at all and
 * the browser keeps the same-origin policy; an empty list installs nothing.
 */
export function corsForOrigins(origins: readonly string[]): MiddlewareHandler | undefined {
  if (origins.length === 0) return undefined;
  const allowed = new Set(origins);
  const handler = cors({
    origin: (origin) => (allowed.has(origin) ? origin : null),
    credentials: true,
    allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowHeaders: ALLOW_HEADERS,
    exposeHeaders: EXPOSE_HEADERS,
    maxAge: 600,
  });
  return async (c, next) => {
    const origin = c.req.header('origin');
    if (origin === undefined || !allowed.has(origin)) {
      await next();
      c.res.headers.append('Vary', 'Origin'); // the answer differs by origin, so caches must key on it
      return;
    }
    return handler(c, next);
  };
}
