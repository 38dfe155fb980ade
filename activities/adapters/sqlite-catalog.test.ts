import { describe, expect, it } from 'vitest';
import { createSqliteCatalog } from './sqlite-catalog.js';

const doc = (id: string, hash = `h-${id}`) => ({ id, filename: `${id}.txt`, format: 'txt', contentHash: hash, size: 3, blobKey: `sha256/aa/${hash}`, duplicateOf: null });

describe('SQLite catalog', () => {
  it('stores keys hashed and resolves them to their tenant until revoked', async () => {
    const catalog = createSqliteCatalog(':memory:');
    await catalog.ensureTenant('acme');
    await catalog.addApiKey('acme', 'hash-1', 'dfk_abcdefgh');
    expect(await catalog.findTenantByKeyHash('hash-1')).toBe('acme');
    expect(await catalog.findTenantByKeyHash('hash-2')).toBeNull();
    expect(await catalog.revokeApiKeys('dfk_abcdefgh')).toBe(1);
    expect(await catalog.findTenantByKeyHash('hash-1')).toBeNull();
  });

  it('creates a batch with its documents in order and scopes every read by tenant', async () => {
    const catalog = createSqliteCatalog(':memory:');
    await catalog.ensureTenant('a');
    await catalog.ensureTenant('b');
    await catalog.createBatch({ id: 'b1', tenantId: 'a', workflowId: 'w', documentCount: 3, idempotencyKey: 'k1' }, [doc('d1'), doc('d2'), doc('d3')]);
    expect((await catalog.listBatchDocuments('a', 'b1', 0, 10)).map((d) => d.id)).toEqual(['d1', 'd2', 'd3']);
    expect((await catalog.listBatchDocuments('a', 'b1', 1, 1)).map((d) => d.id)).toEqual(['d2']);
    expect(await catalog.getBatch('b', 'b1')).toBeNull();
    expect(await catalog.getDocument('b', 'd1')).toBeNull();
    expect(await catalog.listBatchDocuments('b', 'b1', 0, 10)).toEqual([]);
    expect((await catalog.findBatchByIdempotencyKey('a', 'k1'))?.id).toBe('b1');
    expect(await catalog.findBatchByIdempotencyKey('b', 'k1')).toBeNull();
  });

  it('records outcomes and finds indexed duplicates by content hash within a tenant', async () => {
    const catalog = createSqliteCatalog(':memory:');
    await catalog.ensureTenant('a');
    await catalog.ensureTenant('b');
    await catalog.createBatch({ id: 'b1', tenantId: 'a', workflowId: 'w', documentCount: 2, idempotencyKey: null }, [doc('d1', 'same'), doc('d2')]);
    await catalog.updateDocuments('a', [
      { documentId: 'd1', status: 'indexed', chunks: 4, errorCode: null, errorMessage: null, attempt: 1, startedAt: 1, finishedAt: 2 },
      { documentId: 'd2', status: 'failed', chunks: 0, errorCode: 'corrupt', errorMessage: 'broken', attempt: 1, startedAt: 1, finishedAt: 3 },
    ]);
    expect((await catalog.findIndexedByHash('a', 'same'))?.id).toBe('d1');
    expect(await catalog.findIndexedByHash('b', 'same')).toBeNull();
    expect(await catalog.getDocument('a', 'd2')).toMatchObject({ status: 'failed', errorCode: 'corrupt', errorMessage: 'broken', attempt: 1, startedAt: 1, finishedAt: 3 });
    // An update aimed at another tenant's document changes nothing.
    await catalog.updateDocuments('b', [{ documentId: 'd1', status: 'failed', chunks: 0, errorCode: 'corrupt', errorMessage: 'x', attempt: 1, startedAt: 1, finishedAt: 2 }]);
    expect((await catalog.getDocument('a', 'd1'))?.status).toBe('indexed');
    await catalog.setBatchStatus('a', 'b1', 'completed_with_errors', 42);
    expect(await catalog.getBatch('a', 'b1')).toMatchObject({ status: 'completed_with_errors', finalSeq: 42 });
    expect((await catalog.listBatches('a', { limit: 10, offset: 0, status: 'completed_with_errors' })).length).toBe(1);
  });

  it('marks duplicates as skipped at creation', async () => {
    const catalog = createSqliteCatalog(':memory:');
    await catalog.ensureTenant('a');
    await catalog.createBatch({ id: 'b1', tenantId: 'a', workflowId: 'w', documentCount: 1, idempotencyKey: null }, [{ ...doc('d9'), duplicateOf: 'd1' }]);
    expect((await catalog.getDocument('a', 'd9'))?.status).toBe('skipped');
  });

  it('starts a retry run for failed and cancelled documents only, and only of a finished batch', async () => {
    const catalog = createSqliteCatalog(':memory:');
    await catalog.ensureTenant('a');
    await catalog.createBatch({ id: 'b1', tenantId: 'a', workflowId: 'w1', documentCount: 3, idempotencyKey: null }, [doc('d1'), doc('d2'), doc('d3')]);
    const outcome = (documentId: string, status: 'indexed' | 'failed' | 'cancelled') => ({
      documentId,
      status,
      chunks: status === 'indexed' ? 2 : 0,
      errorCode: status === 'indexed' ? null : ('corrupt' as const),
      errorMessage: status === 'indexed' ? null : 'x',
      attempt: 1,
      startedAt: 1,
      finishedAt: 2,
    });
    await catalog.updateDocuments('a', [outcome('d1', 'indexed'), outcome('d2', 'failed'), outcome('d3', 'cancelled')]);
    expect(await catalog.startRetry('a', 'b1', 'all', (run) => `w-r${run}`)).toBeNull(); // still running
    await catalog.setBatchStatus('a', 'b1', 'completed_with_errors', 9);
    expect(await catalog.startRetry('a', 'b1', ['d1'], (run) => `w-r${run}`)).toEqual({ run: 2, documentIds: [] });
    expect(await catalog.startRetry('a', 'b1', 'all', (run) => `w-r${run}`)).toEqual({ run: 2, documentIds: ['d2', 'd3'] });
    expect(await catalog.getBatch('a', 'b1')).toMatchObject({ status: 'running', currentRun: 2, workflowId: 'w-r2', finalSeq: null });
    expect((await catalog.listBatchDocuments('a', 'b1', 0, 10, 2)).map((d) => [d.id, d.status, d.errorCode])).toEqual([
      ['d2', 'queued', null],
      ['d3', 'queued', null],
    ]);
    expect((await catalog.getDocument('a', 'd1'))?.run).toBe(1);
    expect(await catalog.cancelOpenDocuments('a', 'b1', 2, 'stopped')).toBe(2);
    expect((await catalog.getDocument('a', 'd2'))?.status).toBe('cancelled');
    expect((await catalog.getDocument('a', 'd1'))?.status).toBe('indexed');
  });

  it('lists documents with filters and deletes one, telling whether its blob is still shared', async () => {
    const catalog = createSqliteCatalog(':memory:');
    await catalog.ensureTenant('a');
    await catalog.ensureTenant('b');
    await catalog.createBatch({ id: 'b1', tenantId: 'a', workflowId: 'w', documentCount: 2, idempotencyKey: null }, [doc('d1', 'same'), doc('d2', 'same')]);
    await catalog.createBatch({ id: 'b2', tenantId: 'b', workflowId: 'w2', documentCount: 1, idempotencyKey: null }, [doc('e1')]);
    expect((await catalog.listDocuments('a', { limit: 10, offset: 0 })).map((d) => d.id).sort()).toEqual(['d1', 'd2']);
    expect(await catalog.listDocuments('a', { limit: 10, offset: 0, batchId: 'b2' })).toEqual([]);
    expect((await catalog.listDocuments('a', { limit: 10, offset: 0, status: 'queued' })).length).toBe(2);
    expect(await catalog.deleteDocument('b', 'd1')).toBeNull();
    expect(await catalog.deleteDocument('a', 'd1')).toEqual({ blobKey: 'sha256/aa/same', blobStillUsed: true });
    expect(await catalog.deleteDocument('a', 'd2')).toEqual({ blobKey: 'sha256/aa/same', blobStillUsed: false });
    expect(await catalog.getDocument('a', 'd2')).toBeNull();
  });
});
