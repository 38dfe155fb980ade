/**
 * The sign-in guard, run before any page renders and on every navigation: the session is
 * learned once from the cookie (`GET /api/session`), and a signed-out person is sent to /login,
 * remembering where they wanted to go.
 */
import { redirect } from '@sveltejs/kit';
import { loginPath } from '$lib/login-path.js';
import { auth, restoreSession } from '$lib/session.svelte.js';
import { resumeWatching } from '$lib/watch.svelte.js';
import type { LayoutLoad } from './$types';

// A single-page app: everything renders in the browser, the API serves index.html for any path.
export const ssr = false;
export const prerender = false;

export const load: LayoutLoad = async ({ url }) => {
  // Batches that were running before a reload are followed again.
  if (auth.status === 'unknown' && (await restoreSession())) resumeWatching();
  if (auth.status !== 'signed-in' && url.pathname !== '/login') redirect(307, loginPath(url));
  return {};
};
