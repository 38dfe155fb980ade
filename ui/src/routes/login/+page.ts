/** A signed-in person who opens /login goes on to where they were headed. */
import { redirect } from '@sveltejs/kit';
import { safeNext } from '$lib/login-path.js';
import { auth } from '$lib/session.svelte.js';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ parent, url }) => {
  await parent();
  const next = safeNext(url);
  if (auth.status === 'signed-in') redirect(307, next);
  return { next };
};
