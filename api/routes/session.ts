/**
 * Browser sign-in. The page trades an API key for an httpOnly session cookie once, so the key
 * never has to sit in browser storage where any injected script could read it.
 */
import type { Context } from 'hono';
import { SessionLoginRequestSchema, SessionSchema, type Session } from '../../core/api-schemas.js';
import { sessionFromCookie, type AuthOptions } from '../auth.js';
import { ApiError } from '../errors.js';
import { hashApiKey } from '../keys.js';
import { createRouter, errorResponse, jsonResponse, publicRoute, type AppEnv } from '../openapi.js';
import { clearSessionCookie, SESSION_COOKIE, writeSessionCookie } from '../session-cookie.js';
import type { SessionClaims } from '../sessions.js';

const tags = ['session'];

const createSession = publicRoute({
  method: 'post',
  path: '/',
  operationId: 'createSession',
  summary: 'Sign in with an API key',
  description:
    'Sets an httpOnly, SameSite=Strict session cookie for the browser and returns the CSRF token that cookie-authenticated POST, PUT, PATCH and DELETE requests must send as X-CSRF-Token. The body must be application/json.',
  tags,
  // JSON only: an HTML form cannot send it, and a cross-origin script must pass a CORS preflight.
  request: { body: { required: true, content: { 'application/json': { schema: SessionLoginRequestSchema } } } },
  responses: {
    200: {
      ...jsonResponse(SessionSchema, 'Signed in.'),
      headers: { 'Set-Cookie': { description: `The session cookie (\`${SESSION_COOKIE}\`, or \`__Host-${SESSION_COOKIE}\` over HTTPS).`, schema: { type: 'string' } } },
    },
    400: errorResponse('The body is not {"apiKey": "..."}.'),
    401: errorResponse('The API key is unknown or revoked.'),
    415: errorResponse('The body is not application/json.'),
  },
});

const getSession = publicRoute({
  method: 'get',
  path: '/',
  operationId: 'getSession',
  summary: 'The current browser session',
  description: 'Answers for the session cookie only; a bearer key has no session.',
  tags,
  responses: { 200: jsonResponse(SessionSchema, 'The session is live.'), 401: errorResponse('No session, or it expired or its API key was revoked.') },
});

const deleteSession = publicRoute({
  method: 'delete',
  path: '/',
  operationId: 'deleteSession',
  summary: 'Sign out',
  description: 'Clears the session cookie; always succeeds.',
  tags,
  responses: { 204: { description: 'The cookie is cleared.' } },
});

/** Session routes, mounted at /api/session ahead of the auth middleware (sign-in has no session yet). */
export function sessionRoutes(options: AuthOptions) {
  const describe = (c: Context<AppEnv>, session: SessionClaims): Session => {
    c.set('tenantId', session.tenantId); // for the request log line
    return { tenantId: session.tenantId, csrfToken: options.sessions.csrfToken(session), expiresAt: new Date(session.expiresAt).toISOString() };
  };

  return createRouter()
    .openapi(createSession, async (c) => {
      const keyHash = hashApiKey(c.req.valid('json').apiKey);
      const tenantId = await options.catalog.findTenantByKeyHash(keyHash);
      if (!tenantId) throw new ApiError(401, 'unauthorized', 'The API key is unknown or revoked.');
      const { token, session } = options.sessions.issue(tenantId, keyHash);
      writeSessionCookie(c, token, options.sessions.ttlSeconds, options.cookieSecure);
      return c.json(describe(c, session), 200);
    })
    .openapi(getSession, async (c) => c.json(describe(c, await sessionFromCookie(c, options)), 200))
    .openapi(deleteSession, (c) => {
      // Always succeeds: signing out must work with an expired or broken cookie too.
      clearSessionCookie(c, options.cookieSecure);
      return c.body(null, 204);
    });
}
