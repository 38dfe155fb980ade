/**
 * Where the session token lives in the browser. Over HTTPS the cookie carries the `__Host-`
 * prefix, which browsers only accept when it is Secure, host-only and Path=/, so a sibling
 * subdomain cannot plant a session of its own. Plain HTTP (local development) uses the bare name.
 */
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';

/** Cookie name over plain HTTP; documented so operators can recognise it in browser tools. */
export const SESSION_COOKIE = 'docflow_session';
/** Cookie name over HTTPS (or COOKIE_SECURE=true). */
export const SECURE_SESSION_COOKIE = `__Host-${SESSION_COOKIE}`;

/** Decides Secure per request: HTTPS seen by this server, or forced for a TLS-terminating proxy. */
export function isSecureRequest(c: Context, forceSecure: boolean): boolean {
  return forceSecure || new URL(c.req.url).protocol === 'https:';
}

const nameFor = (secure: boolean) => (secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE);

/** The session token sent with this request, if any. */
export function readSessionCookie(c: Context, forceSecure: boolean): string | undefined {
  return getCookie(c, nameFor(isSecureRequest(c, forceSecure)));
}

/** Sets the session cookie: httpOnly so scripts never see it, SameSite=Strict against cross-site use. */
export function writeSessionCookie(c: Context, token: string, maxAgeSeconds: number, forceSecure: boolean): void {
  const secure = isSecureRequest(c, forceSecure);
  setCookie(c, nameFor(secure), token, { httpOnly: true, sameSite: 'Strict', path: '/', secure, maxAge: maxAgeSeconds });
}

/** Expires the session cookie in the browser. */
export function clearSessionCookie(c: Context, forceSecure: boolean): void {
  const secure = isSecureRequest(c, forceSecure);
  deleteCookie(c, nameFor(secure), { httpOnly: true, sameSite: 'Strict', path: '/', secure });
}
