/**
 * The status a batch ends with. A run knows only its own documents, but a retry run holds just
 * the documents that failed before: judged alone, a retry whose one document fails again would
 * call the whole batch `failed` although the rest of it is indexed. So the batch's status is
 * settled over all of its documents, as the catalog records them.
 */
import type { Catalog } from '../adapters/catalog.js';
import { settleBatchStatus, type BatchStatus, type DocumentStatus } from '../core/progress.js';
import { readAllPages } from '../core/paging.js';

/** `runStatus` is what the run concluded; a cancelled run stays cancelled. */
export async function batchOutcome(catalog: Catalog, tenantId: string, batchId: string, runStatus: BatchStatus): Promise<BatchStatus> {
  if (runStatus === 'cancelled' || runStatus === 'running') return runStatus;
  const statuses: { status: DocumentStatus }[] = await readAllPages((offset, limit) => catalog.listBatchDocuments(tenantId, batchId, offset, limit));
  const overall = settleBatchStatus(statuses, false);
  // Some document still open means the catalog lags the run; the run's own word is then the best.
  return overall === 'running' ? runStatus : overall;
}
