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
});
