/**
 * Settles batches whose workflow ended without writing its outcome to the catalog. The batch
 * workflow is the catalog's only writer while it runs, so a run that an operator terminates
 * (or that times out, or fails on a bug) would otherwise leave its batch `running` forever.
 * Used on read by the API, so a batch page settles as soon as someone looks, and by the
 * reconciliation schedule for every running batch.
 */
import type { BatchRecord, Catalog } from '../../adapters/catalog.js';
import type { VectorStore } from '../../adapters/vector-store.js';
import { settleBatchStatus, type BatchStatus } from '../../core/progress.js';
import type { RunInspector, RunState } from '../../adapters/run-inspector.js';
import { batchOutcome } from '../batch-outcome.js';
import { readAllPages } from '../../core/paging.js';
import type { ReasonCode } from '../../core/formats.js';

export interface SettleDeps {
  catalog: Catalog;
  vectors: VectorStore;
  runs: RunInspector;
}

/**
 * alive: the run is still going. waiting: the run ended but its shards are still cleaning up.
 * settled: this call wrote the outcome. not_running: the catalog already had one.
 */
export type SettleResult = 'alive' | 'waiting' | 'settled' | 'not_running';

/** Why a document of an ended run never finished, in words a user can act on. */
function closedRunMessage(state: RunState): string {
  switch (state) {
    case 'terminated':
      return 'The run was terminated in Temporal before this document finished. Retry it to index it.';
    case 'cancelled':
      return 'The run was cancelled in Temporal before this document finished.';
    case 'timed_out':
      return 'The run hit its time limit in Temporal before this document finished. Retry it to index it.';
    case 'not_found':
      return 'The run no longer exists in Temporal and this document never finished. Retry it to index it.';
    default:
      return `The run ended (${state}) before this document finished. Retry it to index it.`;
  }
}

/**
 * Why a re-index that an ended run was building never completed: the code the document page
 * explains, and words saying the document still answers from its earlier version.
 */
function closedReindexFailure(state: RunState, activeVersion: number): { code: ReasonCode; message: string } {
  const kept = `Search still answers from version ${activeVersion}; re-index it again to replace it.`;
  switch (state) {
    case 'terminated':
      return { code: 'cancelled', message: `The run was terminated in Temporal before the new version was complete. ${kept}` };
    case 'cancelled':
      return { code: 'cancelled', message: `The run was cancelled in Temporal before the new version was complete. ${kept}` };
    case 'timed_out':
      return { code: 'timeout', message: `The run hit its time limit in Temporal before the new version was complete. ${kept}` };
    default:
      return { code: 'internal_error', message: `The run ended (${state}) before the new version was complete. ${kept}` };
  }
}

/** Settles one batch if its current run has ended; safe to call concurrently and repeatedly. */
export async function settleClosedRun(deps: SettleDeps, batch: BatchRecord): Promise<SettleResult> {
  if (batch.status !== 'running') return 'not_running';
  const state = await deps.runs.runState(batch.workflowId);
  if (state === 'running' || state === 'continued_as_new') return 'alive';
  if ((await deps.runs.openShards(batch.id, batch.workflowId)) > 0) return 'waiting';

  // Read again: the run may have finalized the batch itself between the first read and describe.
  const current = await deps.catalog.getBatch(batch.tenantId, batch.id);
  if (!current || current.status !== 'running' || current.workflowId !== batch.workflowId) return 'not_running';

  await deps.catalog.cancelOpenDocuments(batch.tenantId, batch.id, current.currentRun, closedRunMessage(state));
  const documents = await readAllPages((offset, limit) => deps.catalog.listBatchDocuments(batch.tenantId, batch.id, offset, limit, current.currentRun));
  // A step may have written part of a document's vectors before the run ended: none may stay.
  for (const doc of documents) {
    if (doc.pendingVersion !== null) {
      // A re-index that ended here: the version it was building (or the one it replaced) goes, the active one stays.
      // A version still being built never completed; the catalog keeps a reason the run itself recorded first.
      if (doc.pendingVersion > doc.activeVersion) {
        await deps.catalog.recordReindexFailures(batch.tenantId, [{ documentId: doc.id, ...closedReindexFailure(state, doc.activeVersion) }]);
      }
      await deps.vectors.deleteDocument(batch.tenantId, doc.id, doc.activeVersion);
      const others = await deps.vectors.countDocument(batch.tenantId, doc.id, doc.activeVersion);
      if (others !== 0) throw new Error(`document ${doc.id} still has ${others} vectors of inactive versions after delete`);
      await deps.catalog.settleVersions(batch.tenantId, [doc.id]);
      continue;
    }
    if (doc.status === 'indexed' || doc.status === 'skipped') continue;
    await deps.vectors.deleteDocument(batch.tenantId, doc.id);
    const left = await deps.vectors.countDocument(batch.tenantId, doc.id);
    if (left !== 0) throw new Error(`document ${doc.id} still has ${left} vectors after delete`);
  }
  const status: BatchStatus =
    state === 'terminated' || state === 'cancelled' ? 'cancelled' : await batchOutcome(deps.catalog, batch.tenantId, batch.id, settleBatchStatus(documents, false));
  await deps.catalog.setBatchStatus(batch.tenantId, batch.id, status, current.finalSeq ?? undefined);
  return 'settled';
}

export interface SettleSweepReport {
  checked: number;
  settled: number;
}

/** Every tenant's running batches, settled where their run has ended. */
export async function settleClosedBatches(deps: SettleDeps, onProgress: () => void = () => {}): Promise<SettleSweepReport> {
  const report: SettleSweepReport = { checked: 0, settled: 0 };
  for (const tenant of await deps.catalog.listTenants()) {
    // Listed in full first: settling moves batches out of the `running` filter, shifting pages.
    const running: BatchRecord[] = await readAllPages((offset, limit) => deps.catalog.listBatches(tenant.id, { limit, offset, status: 'running' }));
    for (const batch of running) {
      report.checked++;
      if ((await settleClosedRun(deps, batch)) === 'settled') report.settled++;
      onProgress();
    }
  }
  return report;
}
