/**
 * The API's settle-on-read hook: when a running batch's workflow stops answering queries, ask
 * Temporal whether its run ended and, if so, record the outcome (see settle-runs.ts).
 */
import type { Client } from '@temporalio/client';
import type { BatchRecord, Catalog } from '../adapters/catalog.js';
import { createTemporalRunInspector } from '../adapters/temporal-runs.js';
import type { VectorStore } from '../adapters/vector-store.js';
import { settleClosedRun } from '../activities/maintenance/settle-runs.js';
import type { Logger } from '../core/logger.js';

export function createEndedRunSettler(deps: { catalog: Catalog; vectors: VectorStore; client: Client; logger?: Logger }) {
  const settleDeps = { catalog: deps.catalog, vectors: deps.vectors, runs: createTemporalRunInspector(deps.client) };
  return async (batch: BatchRecord): Promise<void> => {
    try {
      const result = await settleClosedRun(settleDeps, batch);
      if (result === 'settled') deps.logger?.info('settled a batch whose run ended in Temporal', { tenantId: batch.tenantId, batchId: batch.id, workflowId: batch.workflowId });
    } catch (err) {
      // Reading a batch must not fail because Temporal is briefly unreachable; the schedule retries.
      deps.logger?.warn('could not settle a batch whose run stopped answering', { tenantId: batch.tenantId, batchId: batch.id, error: (err as Error).message });
    }
  };
}
