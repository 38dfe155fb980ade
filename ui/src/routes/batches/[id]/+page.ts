/**
 * Opens the batch's live stream before the page renders: the stream (a fetch, then an
 * EventSource) is started here, not from inside the component's reactive state. Streams are
 * shared and outlive the page (lib/watch.svelte.ts), so leaving the page does not close it.
 */
import { loadLimits } from '$lib/session.svelte.js';
import { watchBatch } from '$lib/watch.svelte.js';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ params, parent }) => {
  await parent(); // signed in, or redirected to /login before any request is made
  const stream = watchBatch(params.id);
  // A batch that had ended when last seen may have been retried since (in another tab, say):
  // opening its page reloads the snapshot, and follows the new run if there is one.
  if (stream.connection === 'ended' || stream.connection === 'error') void stream.start();
  // The Temporal link needs the configured UI location, which comes with the limits.
  void loadLimits().catch(() => {});
  return { stream };
};
