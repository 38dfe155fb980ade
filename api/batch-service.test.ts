/**
 * The batch use cases on their own, over the test harness's real SQLite catalog and blob store
 * with Temporal faked: the compensation when a retry cannot start, and that a document in a
 * batch whose run ended behind the catalog's back can be deleted once the service settled it.
 */
import { describe, expect, it } from 'vitest';
import { createJsonLogger } from '../core/logger.js';
import { createBatchService } from './batch-service.js';
import { createTestApp, oneFileForm } from './test-app.js';

async function uploaded() {
  const harness = await createTestApp();
  const settled: string[] = [];
  const service = createBatchService({
    ...harness.deps,
    logger: createJsonLogger({ write: () => {} }),
    settleEndedRun: async (batch) => {
      settled.push(batch.id);
      await harness.catalog.cancelOpenDocuments(batch.tenantId, batch.id, batch.currentRun, 'The run was terminated in Temporal.');
      await harness.catalog.setBatchStatus(batch.tenantId, batch.id, 'cancelled');
    },
  });
  const request = new Request('http://localhost/api/batches', { method: 'POST', body: oneFileForm('a.txt', 'some text') });
  const result = await service.upload('alpha', request, { idempotencyKey: null, reindex: false });
  return { ...harness, service, settled, result };
}

describe('batch service', () => {
  it('keeps a retry Temporal refused retryable: its documents end cancelled with the reason, the batch failed, 503', async () => {
    const { service, result, catalog, deps } = await uploaded();
    // The fake run "ended": cancel settles the batch first, and then finds nothing to cancel.
    await expect(service.cancel('alpha', result.batchId)).rejects.toMatchObject({ status: 409, code: 'batch_finished' });
    deps.temporal.startBatch = async () => {
      throw new Error('connection refused');
    };
    await expect(service.retryBatch('alpha', result.batchId)).rejects.toMatchObject({ status: 503, code: 'temporal_unavailable' });
    expect((await catalog.getBatch('alpha', result.batchId))?.status).toBe('failed');
    const [doc] = await catalog.listBatchDocuments('alpha', result.batchId, 0, 10);
    expect(doc).toMatchObject({ status: 'cancelled', run: 2, errorCode: 'cancelled' });
    expect(doc.errorMessage).toMatch(/Temporal was unavailable/);
  });

  it('settles before deciding a delete, and reads never settle', async () => {
    const { service, result, settled, catalog } = await uploaded();
    const documentId = result.documents[0].documentId;
    expect((await service.view('alpha', result.batchId)).status).toBe('running');
    expect(settled).toEqual([]);
    const deleted = await service.deleteDocument('alpha', documentId);
    expect(deleted).toEqual({ documentId, deleted: true, vectorsRemaining: 0 });
    expect(settled).toEqual([result.batchId]);
    expect(await catalog.getDocument('alpha', documentId)).toBeNull();
  });

  it("finds nothing of another tenant's", async () => {
    const { service, result } = await uploaded();
    await expect(service.view('beta', result.batchId)).rejects.toMatchObject({ status: 404, code: 'not_found' });
    await expect(service.retryDocument('beta', result.documents[0].documentId)).rejects.toMatchObject({ status: 404 });
    await expect(service.deleteDocument('beta', result.documents[0].documentId)).rejects.toMatchObject({ status: 404 });
  });
});
