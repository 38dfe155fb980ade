import { mkdtempSync } from 'node:fs';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFsBlobStore, type BlobStore } from '../adapters/blob-store.js';
import { createSqliteCatalog } from '../adapters/sqlite-catalog.js';
import type { Catalog } from '../adapters/catalog.js';
import { createLanceDbStore } from '../adapters/lancedb-store.js';
import type { VectorStore, VectorPoint } from '../adapters/vector-store.js';
import { checkInvariants, isClean } from './invariants.js';
import { plainPayload } from '../test/fixtures/vectors.js';

// Real embedded stores in a temp dir: the checks must see what the harness would see.
describe('checkInvariants', () => {
  let catalog: Catalog;
  let vectors: VectorStore;
  let blobs: BlobStore;
  const tenant = 'acme';

  beforeEach(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'chaos-inv-'));
    catalog = createSqliteCatalog(path.join(dir, 'catalog.sqlite'));
    vectors = await createLanceDbStore({ dir: path.join(dir, 'vectors') });
    blobs = createFsBlobStore(path.join(dir, 'files'));
    await catalog.ensureTenant(tenant);
    await vectors.ensureCollection(tenant, 3);
  });
  afterEach(async () => {
    await vectors.close();
    await catalog.close();
  });

  async function addDocument(id: string, blobBytes: string | null) {
    const blobKey = blobBytes === null ? `uploads/missing-${id}` : await blobs.commit(await blobs.stage(Readable.from([Buffer.from(blobBytes)]), 1024));
    await catalog.createBatch({ id: `b-${id}`, tenantId: tenant, workflowId: `wf-${id}`, idempotencyKey: null, documentCount: 1 } as never, [
      { id, filename: `${id}.txt`, format: 'txt', contentHash: `h-${id}`, size: 4, blobKey, duplicateOf: null } as never,
    ]);
  }
  const point = (documentId: string, chunkIndex: number, id = `${documentId}-${chunkIndex}`): VectorPoint => ({
    id: uuidFor(id),
    vector: [1, 0, 0],
    payload: plainPayload({ tenantId: tenant, documentId, batchId: `b-${documentId}`, chunkIndex, text: 't', filename: 'f' }),
  });

  const update = (documentId: string, status: 'indexed' | 'failed', chunks: number) => ({
    documentId,
    status,
    chunks,
    errorCode: status === 'failed' ? ('corrupt' as const) : null,
    errorMessage: status === 'failed' ? 'bad' : null,
    attempt: 1,
    startedAt: null,
    finishedAt: null,
  });

  it('is clean for an indexed document with exactly its points', async () => {
    await addDocument('d1', 'text');
    await catalog.updateDocuments(tenant, [update('d1', 'indexed', 2)]);
    await vectors.upsert(tenant, [point('d1', 0), point('d1', 1)]);
    const report = await checkInvariants({ catalog, vectors, blobs, tenantId: tenant, acceptedDocumentIds: ['d1'] });
    expect(report.problems).toEqual([]);
    expect(isClean(report)).toBe(true);
    expect(report.indexed).toBe(1);
  });

  it('counts a stuck document, a missing upload, a missing point and an orphan', async () => {
    await addDocument('d1', 'text');
    await addDocument('d2', null);
    await addDocument('d3', 'more');
    await catalog.updateDocuments(tenant, [update('d1', 'indexed', 2), update('d3', 'failed', 0)]);
    await vectors.upsert(tenant, [point('d1', 0), point('d3', 0)]);
    const report = await checkInvariants({ catalog, vectors, blobs, tenantId: tenant, acceptedDocumentIds: ['d1', 'd2', 'd3', 'never-stored'] });
    expect(report.missingPoints).toBe(1);
    expect(report.orphans).toBe(1);
    // d2: still queued and its upload is gone; never-stored: not in the catalog.
    expect(report.lost).toBe(3);
    expect(isClean(report)).toBe(false);
  });

  it('flags a last SSE frame that disagrees with the catalog about a document, a missing document, or the batch', async () => {
    await addDocument('d1', 'text');
    await catalog.updateDocuments(tenant, [update('d1', 'failed', 0)]);
    const batchStatus = (await catalog.getBatch(tenant, 'b-d1'))!.status;
    const frame = (status: string, documents: unknown[]) => ({ batchId: 'b-d1', status, documents }) as never;
    const agreeing = frame(batchStatus, [{ documentId: 'd1', status: 'failed', error: { code: 'corrupt', message: 'bad' } }]);
    const check = (lastFrames: never[]) => checkInvariants({ catalog, vectors, blobs, tenantId: tenant, acceptedDocumentIds: ['d1'], lastFrames });

    expect((await check([agreeing])).sseMismatches).toBe(0);
    expect((await check([frame(batchStatus, [{ documentId: 'd1', status: 'indexed', error: null }])])).sseMismatches).toBe(1);
    expect((await check([frame(batchStatus, [])])).sseMismatches).toBe(1);
    expect((await check([frame(batchStatus === 'cancelled' ? 'completed' : 'cancelled', (agreeing as { documents: unknown[] }).documents)])).sseMismatches).toBe(1);
  });

  it('counts uploads no document uses and staged leftovers as orphan files', async () => {
    await addDocument('d1', 'text');
    await catalog.updateDocuments(tenant, [update('d1', 'failed', 0)]);
    await blobs.commit(await blobs.stage(Readable.from([Buffer.from('stored, never recorded')]), 1024));
    const report = await checkInvariants({ catalog, vectors, blobs, tenantId: tenant, acceptedDocumentIds: ['d1'], stagedFiles: 2 });
    expect(report.orphanFiles).toBe(3);
    expect(isClean(report)).toBe(false);
  });
});

// Point ids must be UUIDs for the store; a stable one per name keeps the test readable.
function uuidFor(name: string): string {
  const hex = Buffer.from(name.padEnd(16, '.')).subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
