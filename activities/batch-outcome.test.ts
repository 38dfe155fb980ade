import { describe, expect, it } from 'vitest';
import { contractDocument } from '../adapters/catalog.contract.js';
import { createSqliteCatalog } from '../adapters/sqlite-catalog.js';
import { batchOutcome } from './batch-outcome.js';

describe('the status a batch ends with', () => {
  it('judges a retry run by the whole batch: one document failing again leaves the batch completed with errors', async () => {
    const catalog = createSqliteCatalog(':memory:');
    await catalog.ensureTenant('t');
    await catalog.createBatch(
      { id: 'b', tenantId: 't', workflowId: 'w', documentCount: 3, idempotencyKey: null },
      ['a', 'b', 'c'].map((id) => contractDocument(id)),
    );
    const outcome = (documentId: string, status: 'indexed' | 'failed') => ({
      documentId,
      status,
      chunks: 1,
      errorCode: null,
      errorMessage: null,
      attempt: 1,
      startedAt: 1,
      finishedAt: 2,
    });
    await catalog.updateDocuments('t', [outcome('a', 'indexed'), outcome('b', 'indexed'), outcome('c', 'failed')]);
    // The retry run held only `c`, which failed again: on its own that run is `failed`.
    expect(await batchOutcome(catalog, 't', 'b', 'failed')).toBe('completed_with_errors');
    await catalog.updateDocuments('t', [outcome('c', 'indexed')]);
    expect(await batchOutcome(catalog, 't', 'b', 'completed')).toBe('completed');
    // A cancelled run stays cancelled whatever its documents say.
    expect(await batchOutcome(catalog, 't', 'b', 'cancelled')).toBe('cancelled');
    await catalog.close();
  });
});
