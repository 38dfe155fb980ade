/**
 * The batch use cases on their own, over the test harness's real SQLite catalog and blob store
 * with Temporal faked: the compensation when a retry or a re-index cannot start, which documents
 * a re-index takes, and that a document in a batch whose run ended behind the catalog's back can
 * be deleted once the service settled it.
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

  /** The uploaded document as the first run left it: indexed with 3 chunks, the batch completed. */
  async function indexed() {
    const setup = await uploaded();
    const documentId = setup.result.documents[0].documentId;
    await setup.catalog.updateDocuments('alpha', [{ documentId, status: 'indexed', chunks: 3, errorCode: null, errorMessage: null, attempt: 1, startedAt: 1, finishedAt: 2 }]);
    await setup.catalog.setBatchStatus('alpha', setup.result.batchId, 'completed', 7);
    return { ...setup, documentId };
  }

  it('re-indexes a document as the next run of its batch, with the asked-for chunk sizes, keeping it indexed meanwhile', async () => {
    const { service, result, catalog, started, documentId } = await indexed();
    expect(await service.reindexDocument('alpha', documentId, { maxTokens: 120 })).toEqual({ batchId: result.batchId, run: 2, documentIds: [documentId] });
    expect(started.at(-1)).toMatchObject({ tenantId: 'alpha', batchId: result.batchId, run: 2, documentCount: 1, reindex: { maxTokens: 120 } });
    expect(await catalog.getDocument('alpha', documentId)).toMatchObject({ status: 'indexed', chunks: 3, version: 2, activeVersion: 1, pendingVersion: 2, run: 2 });
    expect(await catalog.getBatch('alpha', result.batchId)).toMatchObject({ status: 'running', currentRun: 2 });
  });

  it('re-indexes only indexed documents: a batch with none answers 409', async () => {
    const { service, result } = await uploaded();
    await expect(service.reindexDocument('alpha', result.documents[0].documentId, {})).rejects.toMatchObject({ status: 409, code: 'not_indexed' });
    // The fake run "ended": the batch is settled (its document cancelled) before anything is decided.
    await expect(service.reindexBatch('alpha', result.batchId, {})).rejects.toMatchObject({ status: 409, code: 'nothing_to_reindex' });
  });

  it('leaves everything as it was when Temporal refuses a re-index: 503, the document indexed at its version, the batch completed', async () => {
    const { service, result, catalog, deps, documentId } = await indexed();
    deps.temporal.startBatch = async () => {
      throw new Error('connection refused');
    };
    await expect(service.reindexBatch('alpha', result.batchId, {})).rejects.toMatchObject({ status: 503, code: 'temporal_unavailable' });
    expect(await catalog.getDocument('alpha', documentId)).toMatchObject({ status: 'indexed', chunks: 3, activeVersion: 1, pendingVersion: null });
    expect(await catalog.getBatch('alpha', result.batchId)).toMatchObject({ status: 'completed', finalSeq: 7 });
    expect(await catalog.listPendingVersions('alpha')).toEqual([]);
  });

  it("finds nothing of another tenant's", async () => {
    const { service, result } = await uploaded();
    await expect(service.reindexBatch('beta', result.batchId, {})).rejects.toMatchObject({ status: 404 });
    await expect(service.reindexDocument('beta', result.documents[0].documentId, {})).rejects.toMatchObject({ status: 404 });
    await expect(service.view('beta', result.batchId)).rejects.toMatchObject({ status: 404, code: 'not_found' });
    await expect(service.retryDocument('beta', result.documents[0].documentId)).rejects.toMatchObject({ status: 404 });
    await expect(service.deleteDocument('beta', result.documents[0].documentId)).rejects.toMatchObject({ status: 404 });
  });
});
