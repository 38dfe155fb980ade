/**
 * Retrying failed documents starts a new run of their batch: the catalog requeues them under
 * the next run number, then a new workflow processes just those. The activities reuse every
 * artifact an earlier run finished (parsed text, chunks, vectors), so a retry resumes at the
 * step that failed instead of starting over.
 */
import type { BatchRecord } from '../adapters/catalog.js';
import type { RetryResponse } from '../core/contracts.js';
import { batchWorkflowId } from '../workflows/definitions.js';
import type { ApiDeps } from './deps.js';
import { ApiError } from './errors.js';
import { MEMO_FILENAMES } from './temporal-gateway.js';

export async function retryDocuments(deps: ApiDeps, batch: BatchRecord, documentIds: string[] | 'all'): Promise<RetryResponse> {
  const started = await deps.catalog.startRetry(batch.tenantId, batch.id, documentIds, (run) => batchWorkflowId(batch.tenantId, batch.id, run));
  if (!started) throw new ApiError(409, 'batch_running', 'The batch is still running; wait for it to finish or cancel it first.');
  if (started.documentIds.length === 0) throw new ApiError(409, 'nothing_to_retry', 'There is no failed or cancelled document to retry.');
  // The run's memo names the files it retries, as the upload's run does.
  const filenames = (await Promise.all(started.documentIds.slice(0, MEMO_FILENAMES).map((id) => deps.catalog.getDocument(batch.tenantId, id)))).flatMap((d) =>
    d ? [d.filename] : [],
  );
  try {
    await deps.temporal.startBatch({
      tenantId: batch.tenantId,
      batchId: batch.id,
      documentCount: started.documentIds.length,
      filenames,
      fanOut: deps.fanOut,
      run: started.run,
    });
  } catch (err) {
    await deps.catalog.cancelOpenDocuments(batch.tenantId, batch.id, started.run, 'The retry could not be started.');
    await deps.catalog.setBatchStatus(batch.tenantId, batch.id, 'failed');
    deps.logger?.error('retry start failed', { tenantId: batch.tenantId, batchId: batch.id, run: started.run, error: (err as Error).message });
    throw new ApiError(503, 'temporal_unavailable', 'The retry could not be started; try again shortly.');
  }
  return { batchId: batch.id, run: started.run, documentIds: started.documentIds };
}
