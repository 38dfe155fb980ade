/**
 * Authentication. It resolves the tenant before any route runs, so every route starts with a
 * tenant id it can trust and nothing touches Temporal or a store without one. Two credentials:
 * `Authorization: Bearer <key>` for programs, the session cookie for the browser. Cookies are
 * sent by the browser on its own, so cookie-authenticated writes must also prove they come from
 * our page with `X-CSRF-Token`; a bearer key is never ambient, so it needs no such proof.
 * Credentials are only ever read from headers, never from the URL, which ends up in logs.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { Catalog } from '../adapters/catalog.js';
import { ApiError } from './errors.js';
import { hashApiKey } from './keys.js';
import { readSessionCookie } from './session-cookie.js';
import type { SessionClaims, SessionCodec } from './sessions.js';

/** How the caller proved who it is; routes and logs may care, CSRF checks do. */
export type AuthMode = 'key' | 'session';

/** Request variables set by authentication, typed for every route. */
export type AuthVariables = {
  tenantId: string;
  requestId: string;
  authMode: AuthMode;
  /** Hash of the API key behind the request (directly or via the session): the rate-limit identity. */
  keyHash: string;
};

/** What authentication needs, injected so tests can use a fixed clock and secret. */
export interface AuthOptions {
  catalog: Catalog;
  sessions: SessionCodec;
  /** Treat every request as HTTPS when choosing the cookie name (behind a TLS proxy). */
  cookieSecure: boolean;
}

/** Methods that change state and so need a CSRF token when the cookie authenticates them. */
export const STATE_CHANGING_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const BEARER = /^Bearer ([A-Za-z0-9_-]{10,200})$/;
const challenge = { 'WWW-Authenticate': 'Bearer' };

/** Requires a bearer key or a session cookie and sets `tenantId`, `authMode` and `keyHash`. */
export function requireTenant(options: AuthOptions): MiddlewareHandler<{ Variables: AuthVariables }> {
  const { catalog, sessions } = options;
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (header !== undefined) {
      // An explicit header wins and never falls back to the cookie: a wrong key is a wrong key.
      const match = BEARER.exec(header);
      if (!match) throw new ApiError(401, 'unauthorized', 'Send an API key as "Authorization: Bearer <key>".', challenge);
      const keyHash = hashApiKey(match[1]);
      const tenantId = await catalog.findTenantByKeyHash(keyHash);
      if (!tenantId) throw new ApiError(401, 'unauthorized', 'The API key is unknown or revoked.', challenge);
      c.set('tenantId', tenantId);
      c.set('authMode', 'key');
      c.set('keyHash', keyHash);
      return next();
    }

    const session = await sessionFromCookie(c, options);
    if (STATE_CHANGING_METHODS.has(c.req.method) && !sessions.checkCsrf(session, c.req.header('x-csrf-token'))) {
      throw new ApiError(403, 'csrf_failed', 'Send the csrfToken from /api/session as the X-CSRF-Token header.');
    }
    c.set('tenantId', session.tenantId);
    c.set('authMode', 'session');
    c.set('keyHash', session.keyHash);
    return next();
  };
}

/**
 * The live session behind this request's cookie, or a 401 saying why there is none. Shared by
 * the middleware and `GET /api/session`, so both apply the same expiry and revocation rules.
 */
export async function sessionFromCookie(c: Context, options: AuthOptions): Promise<SessionClaims> {
  const token = readSessionCookie(c, options.cookieSecure);
  if (!token) throw new ApiError(401, 'unauthorized', 'Send an API key as "Authorization: Bearer <key>", or sign in.', challenge);
  const verified = options.sessions.verify(token);
  if (!verified.ok) {
    const message = verified.reason === 'expired' ? 'The session has expired; sign in again.' : 'The session is not valid; sign in again.';
    throw new ApiError(401, 'unauthorized', message, challenge);
  }
  const { session } = verified;
  // Stateless sessions stay revocable: the key that opened one must still be live, and its tenant's.
  if ((await options.catalog.findTenantByKeyHash(session.keyHash)) !== session.tenantId) {
    throw new ApiError(401, 'unauthorized', 'The API key behind this session was revoked; sign in again.', challenge);
  }
  return session;
}
