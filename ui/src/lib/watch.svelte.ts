/**
 * The batches this browser tab follows. A batch is followed from its upload (or from opening
 * its page) until it ends, even while the person looks at other pages; its end raises a toast.
 * Running batch ids are kept in sessionStorage so a reload keeps following them.
 */
import { ID_PATTERN, type BatchView } from '../../../core/contracts.js';
import { BatchStream } from './batch-stream.svelte.js';
import { t } from './i18n/index.svelte.js';
import { shortId } from './format.js';
import { showToast } from './toasts.svelte.js';

const STORAGE_KEY = 'docflow.watching';
// A plain registry, not reactive state: pages read each stream's own $state fields.
// eslint-disable-next-line svelte/prefer-svelte-reactivity
const streams = new Map<string, BatchStream>();

function remember(): void {
  const running = [...streams.values()].filter((s) => s.connection !== 'ended' && s.connection !== 'error').map((s) => s.batchId);
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(running));
}

function announce(view: BatchView): void {
  const id = shortId(view.batchId);
  const href = `/batches/${view.batchId}`;
  const failed = view.documents.filter((d) => d.status === 'failed').length;
  if (view.status === 'completed') showToast('success', t('toast.batchCompleted', { id }), href);
  else if (view.status === 'completed_with_errors') showToast('error', t('toast.batchWithErrors', { id, failed }), href);
  else if (view.status === 'failed') showToast('error', t('toast.batchFailed', { id }), href);
  else if (view.status === 'cancelled') showToast('info', t('toast.batchCancelled', { id }), href);
  remember();
}

/** The stream of a batch, started on first use and shared by every page that shows it. */
export function watchBatch(batchId: string): BatchStream {
  let stream = streams.get(batchId);
  if (!stream) {
    stream = new BatchStream(batchId, announce);
    streams.set(batchId, stream);
    void stream.start().then(remember);
  }
  return stream;
}

/** Follows again the batches that were running before a reload. */
export function resumeWatching(): void {
  try {
    const ids = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? '[]') as unknown;
    // sessionStorage is anyone's to edit: only what can be a batch id is followed.
    if (Array.isArray(ids)) for (const id of ids) if (typeof id === 'string' && ID_PATTERN.test(id)) watchBatch(id);
  } catch {
    sessionStorage.removeItem(STORAGE_KEY);
  }
}

/** Stops every stream (on sign-out). */
export function stopWatching(): void {
  for (const stream of streams.values()) stream.close();
  streams.clear();
  sessionStorage.removeItem(STORAGE_KEY);
}
