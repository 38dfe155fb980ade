/**
 * The signed-in state of the app. The session itself is the httpOnly cookie; the app only knows
 * the tenant, the expiry and the CSRF token (in memory), and learns them again after a reload
 * from `GET /api/session`.
 */
import type { Limits, Session } from '../../../core/api-schemas.js';
import { api, setCsrfToken } from './api.js';

interface SessionState {
  /** `unknown` until the first check after a (re)load has answered. */
  status: 'unknown' | 'signed-in' | 'signed-out';
  session: Session | null;
  limits: Limits | null;
}

export const auth = $state<SessionState>({ status: 'unknown', session: null, limits: null });

function accept(session: Session): void {
  auth.session = session;
  auth.status = 'signed-in';
  setCsrfToken(session.csrfToken);
}

/** Clears everything the app knew about the session (the cookie is the server's business). */
export function forgetSession(): void {
  auth.session = null;
  auth.limits = null;
  auth.status = 'signed-out';
  setCsrfToken(null);
}

/** Asks the server whether the cookie is still a live session; true when it is. */
export async function restoreSession(): Promise<boolean> {
  try {
    accept(await api.session());
    return true;
  } catch {
    forgetSession();
    return false;
  }
}

/** Trades the API key for the session cookie. */
export async function signIn(apiKey: string): Promise<void> {
  accept(await api.signIn({ apiKey }));
}

/** Ends the session on the server and here; succeeds even when the cookie already expired. */
export async function signOut(): Promise<void> {
  try {
    await api.signOut();
  } finally {
    forgetSession();
  }
}

/** Upload limits and the Temporal UI location, fetched once per session. */
export async function loadLimits(): Promise<Limits> {
  auth.limits ??= await api.limits();
  return auth.limits;
}
