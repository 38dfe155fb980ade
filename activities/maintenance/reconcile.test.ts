import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFsBlobStore } from '../../adapters/blob-store.js';
import type { Catalog } from '../../adapters/catalog.js';
import { contractDocument } from '../../adapters/catalog.contract.js';
import type { Embedder } from '../../adapters/embedder.js';
import { fixedSpaces } from '../../adapters/index-spaces.js';
import { createLanceDbStore } from '../../adapters/lancedb-store.js';
import { createSqliteCatalog } from '../../adapters/sqlite-catalog.js';
import { contractPoint } from '../../adapters/vector-store.contract.js';
import type { VectorStore } from '../../adapters/vector-store.js';
import { chunkGroupKey, chunkManifestKey, documentArtifactPrefix } from '../artifacts.js';
import { reconcileTenant } from './reconcile.js';

// The unit test only needs dimensions and a deterministic vector; the integration test uses the real model.
const embedder: Embedder = {
  model: 'unit-test',
  dimensions: async () => 4,
  health: async () => ({ ok: true, detail: 'unit' }),
  embed: async (texts) => texts.map((_, i) => [1, i, 0, 0]),
};

describe('reconciling a tenant', () => {
  let dir: string;
  let catalog: Catalog;
  let vectors: VectorStore;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'docflow-reconcile-'));
    catalog = createSqliteCatalog(path.join(dir, 'catalog.sqlite'));
    vectors = await createLanceDbStore({ dir: path.join(dir, 'vectors') });
    await catalog.ensureTenant('t1');
    await catalog.createBatch({ id: 'b1', tenantId: 't1', workflowId: 'w1', documentCount: 3, idempotencyKey: null }, [
      contractDocument('done'),
      contractDocument('moving'),
      contractDocument('failed'),
    ]);
    await catalog.updateDocuments('t1', [
      { documentId: 'done', status: 'indexed', chunks: 2, errorCode: null, errorMessage: null, attempt: 1, startedAt: 1, finishedAt: 2 },
      { documentId: 'moving', status: 'embedding', chunks: 0, errorCode: null, errorMessage: null, attempt: 1, startedAt: 1, finishedAt: null },
      { documentId: 'failed', status: 'failed', chunks: 0, errorCode: 'corrupt', errorMessage: 'bad', attempt: 1, startedAt: 1, finishedAt: 2 },
    ]);
  });
  afterEach(async () => {
    await vectors.close();
    await catalog.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('removes stale-version and out-of-range points and a failed document’s leftovers, and never touches a document in flight', async () => {
    await vectors.upsert('t1', [
      contractPoint('t1', 'done', 0, [1, 0, 0, 0]),
      contractPoint('t1', 'done', 1, [1, 1, 0, 0]),
      contractPoint('t1', 'done', 2, [1, 2, 0, 0]), // beyond its 2 chunks
      contractPoint('t1', 'done', 0, [1, 0, 1, 0], { version: 7 }), // another version
      contractPoint('t1', 'moving', 0, [0, 1, 0, 0]), // partial, but its run is still writing
      contractPoint('t1', 'failed', 0, [0, 0, 1, 0]),
    ]);
    const report = await reconcileTenant({ catalog, vectors, blobs: createFsBlobStore(path.join(dir, 'files')), spaces: fixedSpaces(vectors, embedder) }, 't1');
    expect(report).toMatchObject({ documentsChecked: 3, orphanPointsRemoved: 1, stalePointsRemoved: 2, documentsRepaired: 0, documentsMarkedFailed: [] });
    expect(await vectors.countDocument('t1', 'done')).toBe(2);
    expect(await vectors.countDocument('t1', 'moving')).toBe(1);
    expect(await vectors.countDocument('t1', 'failed')).toBe(0);
  });

  it('keeps the active version and the version a re-index is building, and removes every other version', async () => {
    await catalog.setBatchStatus('t1', 'b1', 'completed_with_errors', 1);
    await catalog.startReindex('t1', 'b1', ['done'], () => 'w1-r2');
    await vectors.upsert('t1', [
      contractPoint('t1', 'done', 0, [1, 0, 0, 0], { version: 1 }),
      contractPoint('t1', 'done', 1, [1, 1, 0, 0], { version: 1 }),
      contractPoint('t1', 'done', 0, [1, 0, 1, 0], { version: 2 }), // being built: its chunk count is not known yet
      contractPoint('t1', 'done', 5, [1, 0, 1, 0], { version: 2 }),
      contractPoint('t1', 'done', 0, [1, 0, 0, 1], { version: 7 }), // neither
    ]);
    const blobs = createFsBlobStore(path.join(dir, 'files'));
    const versions = async () => (await vectors.listPointRefs('t1')).map((r) => `${r.version}/${r.chunkIndex}`).sort();
    expect(await reconcileTenant({ catalog, vectors, blobs, spaces: fixedSpaces(vectors, embedder) }, 't1')).toMatchObject({
      stalePointsRemoved: 1,
      documentsRepaired: 0,
      documentsMarkedFailed: [],
    });
    expect(await versions()).toEqual(['1/0', '1/1', '2/0', '2/5']);
    // Version 2 complete and active: version 1 is what the re-index replaced, and goes.
    await catalog.activateVersions('t1', [{ documentId: 'done', status: 'indexed', chunks: 6, errorCode: null, errorMessage: null, attempt: 1, startedAt: 3, finishedAt: 4 }]);
    await vectors.upsert(
      't1',
      [1, 2, 3, 4].map((i) => contractPoint('t1', 'done', i, [1, 0, 1, 0], { version: 2 })),
    );
    expect(await reconcileTenant({ catalog, vectors, blobs, spaces: fixedSpaces(vectors, embedder) }, 't1')).toMatchObject({
      stalePointsRemoved: 2,
      documentsRepaired: 0,
      documentsMarkedFailed: [],
    });
    expect(await versions()).toEqual(['2/0', '2/1', '2/2', '2/3', '2/4', '2/5']);
  });

  it('leaves a document whose active version cannot be restored to the re-index building its next one', async () => {
    await catalog.setBatchStatus('t1', 'b1', 'completed_with_errors', 1);
    await catalog.startReindex('t1', 'b1', ['done'], () => 'w1-r2');
    await vectors.upsert('t1', [contractPoint('t1', 'done', 0, [1, 0, 1, 0], { version: 2 })]);
    // Version 1's points are all gone, and so are its artifacts.
    const report = await reconcileTenant({ catalog, vectors, blobs: createFsBlobStore(path.join(dir, 'files')), spaces: fixedSpaces(vectors, embedder) }, 't1');
    expect(report.documentsMarkedFailed).toEqual([]);
    expect(await catalog.getDocument('t1', 'done')).toMatchObject({ status: 'indexed', activeVersion: 1, pendingVersion: 2 });
    expect(await vectors.countDocument('t1', 'done')).toBe(1);
  });

  it('re-embeds a lost point whose vectors artifact is gone, from the stored chunks', async () => {
    const blobs = createFsBlobStore(path.join(dir, 'files'));
    const chunksKey = `${documentArtifactPrefix('t1', 'done', 1)}/chunks`;
    const chunk = (index: number) => ({ index, text: `chunk ${index}`, tokens: 2, page: 1, heading: null, sheet: null, rowStart: null, rowEnd: null });
    await blobs.writeArtifact(chunkGroupKey(chunksKey, 0), JSON.stringify([chunk(0), chunk(1)]));
    await blobs.writeArtifact(chunkManifestKey(chunksKey), JSON.stringify({ chunkCount: 2, groupSize: 2 }));
    await vectors.upsert('t1', [contractPoint('t1', 'done', 0, [1, 0, 0, 0])]);
    const report = await reconcileTenant({ catalog, vectors, blobs, spaces: fixedSpaces(vectors, embedder) }, 't1');
    expect(report).toMatchObject({ documentsRepaired: 1, pointsRestored: 1 });
    const hit = (await vectors.search('t1', [1, 1, 0, 0], 5, { documentIds: ['done'] })).find((h) => h.payload.chunkIndex === 1);
    expect(hit?.payload).toMatchObject({ text: 'chunk 1', filename: 'done.txt', batchId: 'b1', version: 1 });
  });
});
