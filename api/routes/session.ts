/**
 * Browser sign-in. The page trades an API key for an httpOnly session cookie once, so the key
 * never has to sit in browser storage where any injected script could read it.
 */
import { Hono, type Context } from 'hono';
import { SessionLoginRequestSchema, type Session } from '../../core/api-schemas.js';
import { sessionFromCookie, type AuthOptions, type AuthVariables } from '../auth.js';
import { ApiError } from '../errors.js';
import { hashApiKey } from '../keys.js';
import { clearSessionCookie, writeSessionCookie } from '../session-cookie.js';
import type { SessionClaims } from '../sessions.js';

/** Session routes, mounted at /api/session ahead of the auth middleware (sign-in has no session yet). */
export function sessionRoutes(options: AuthOptions) {
  const describe = (c: Context, session: SessionClaims) =>
    c.json({ tenantId: session.tenantId, csrfToken: options.sessions.csrfToken(session), expiresAt: new Date(session.expiresAt).toISOString() } satisfies Session);

  return new Hono<{ Variables: AuthVariables }>()
    .post('/', async (c) => {
      // JSON only: an HTML form cannot send it, and a cross-origin script must pass a CORS preflight.
      if (!(c.req.header('content-type') ?? '').toLowerCase().startsWith('application/json')) {
        throw new ApiError(415, 'unsupported_media_type', 'Send {"apiKey": "..."} as application/json.');
      }
      const body = await c.req.json().catch(() => {
        throw new ApiError(400, 'bad_request', 'The body must be JSON: {"apiKey": "..."}.');
      });
      const parsed = SessionLoginRequestSchema.safeParse(body);
      if (!parsed.success) throw new ApiError(400, 'bad_request', 'The body must be JSON: {"apiKey": "..."}.');
      const keyHash = hashApiKey(parsed.data.apiKey);
      const tenantId = await options.catalog.findTenantByKeyHash(keyHash);
      if (!tenantId) throw new ApiError(401, 'unauthorized', 'The API key is unknown or revoked.');
      const { token, session } = options.sessions.issue(tenantId, keyHash);
      writeSessionCookie(c, token, options.sessions.ttlSeconds, options.cookieSecure);
      c.set('tenantId', tenantId); // for the request log line
      return describe(c, session);
    })
    .get('/', async (c) => {
      const session = await sessionFromCookie(c, options);
      c.set('tenantId', session.tenantId);
      return describe(c, session);
    })
    .delete('/', (c) => {
      // Always succeeds: signing out must work with an expired or broken cookie too.
      clearSessionCookie(c, options.cookieSecure);
      return c.body(null, 204);
    });
}
