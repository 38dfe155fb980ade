import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { createFsBlobStore } from '../adapters/blob-store.js';
import { contractDocument, outcome } from '../adapters/catalog.contract.js';
import { createTenantSpaces, fixedSpaces, modelSet, spaceRoutedStore } from '../adapters/index-spaces.js';
import { createLanceDbStore } from '../adapters/lancedb-store.js';
import { createSqliteCatalog } from '../adapters/sqlite-catalog.js';
import { contractPoint } from '../adapters/vector-store.contract.js';
import type { Catalog, IndexSpaceRecord } from '../adapters/catalog.js';
import { EmbeddingResponseError, type Embedder } from '../adapters/embedder.js';
import { EmbeddingRequestError } from '../adapters/openai-embedder.js';
import type { VectorPoint, VectorStore } from '../adapters/vector-store.js';
import { chunkGroupKey } from './artifacts.js';
import type { IndexInput, IndexOutput, RecordOutcomesInput } from './contracts.js';
import { createIndexActivities } from './index.js';

const DIMENSIONS = 4;

/**
 * An embedder that answers every text with a vector of the right size, except as `refuse`
 * decides for a whole call (throwing what the real embedder throws for it).
 */
function scriptedEmbedder(refuse: (texts: string[], call: number) => Error | undefined) {
  const calls: string[][] = [];
  const embedder: Embedder = {
    model: 'scripted',
    dimensions: async () => DIMENSIONS,
    embed: async (texts) => {
      calls.push(texts);
      const refusal = refuse(texts, calls.length);
      if (refusal) throw refusal;
      return texts.map((t) => [t.length, 1, 2, 3]);
    },
    health: async () => ({ ok: true, detail: 'scripted' }),
  };
  return { embedder, calls };
}

/** Records what was written; the index step only creates the collection and upserts. */
function recordingStore() {
  const written: VectorPoint[] = [];
  const store = {
    ensureCollection: async () => undefined,
    upsert: async (_tenantId: string, points: VectorPoint[]) => void written.push(...points),
  } as unknown as VectorStore;
  return { store, written };
}

/** Three one-chunk documents stored as the prepare step leaves them, and the pack that indexes them. */
async function pack(blobs: ReturnType<typeof createFsBlobStore>): Promise<IndexInput> {
  const items = [];
  for (const name of ['alpha', 'beta', 'gamma']) {
    const chunksKey = `t/${name}/v1/chunks`;
    const chunk = { index: 0, text: `${name} chapter on tides`, tokens: 5, page: null, heading: null, headingPath: [], sheet: null, rowStart: null, rowEnd: null };
    await blobs.writeArtifact(chunkGroupKey(chunksKey, 0), JSON.stringify([chunk]));
    items.push({ documentId: name, version: 1, filename: `${name}.txt`, chunksKey, start: 0, end: 1 });
  }
  return { tenantId: 't', batchId: 'b', items };
}

async function indexPack(embedder: Embedder) {
  const blobs = createFsBlobStore(mkdtempSync(path.join(os.tmpdir(), 'docflow-index-')));
  const { store, written } = recordingStore();
  const activities = createIndexActivities({ blobs, catalog: {} as Catalog, vectors: store, spaces: fixedSpaces(store, embedder) });
  const out: IndexOutput = await new MockActivityEnvironment().run(activities.indexChunks, await pack(blobs));
  const outcome = Object.fromEntries(out.items.map((i) => [i.documentId, i.ok ? 'indexed' : `${i.failure.step} ${i.failure.code}`]));
  return { outcome, written: written.map((p) => p.payload.documentId) };
}

describe('the index step (embed and upsert a pack of documents)', () => {
  it('fails only the document whose vector came back malformed, without asking again for it, and writes the others', async () => {
    // The endpoint returns one wrong-size vector once; asked again it might answer correctly, and
    // the document would be indexed on an answer nobody can vouch for.
    const { embedder, calls } = scriptedEmbedder((texts, call) =>
      call === 1
        ? new EmbeddingResponseError(
            'item 1 has 3 dimensions, expected 4',
            texts.findIndex((t) => t.startsWith('beta')),
          )
        : undefined,
    );
    const { outcome, written } = await indexPack(embedder);
    expect(outcome).toEqual({ alpha: 'indexed', beta: 'embed embedding_rejected', gamma: 'indexed' });
    expect(written.sort()).toEqual(['alpha', 'gamma']);
    expect(calls).toHaveLength(2);
    expect(calls[1].some((t) => t.startsWith('beta'))).toBe(false);
  });

  it('reports the refused document even when the rest of the pack then meets a transient error', async () => {
    // Thrown, the transient error would retry the whole pack, and the refused document with it.
    const { embedder } = scriptedEmbedder((texts, call) =>
      call === 1
        ? new EmbeddingResponseError(
            'item 1 has 3 dimensions, expected 4',
            texts.findIndex((t) => t.startsWith('beta')),
          )
        : new Error('HTTP 500 after 3 attempts'),
    );
    const blobs = createFsBlobStore(mkdtempSync(path.join(os.tmpdir(), 'docflow-index-')));
    const { store, written } = recordingStore();
    const activities = createIndexActivities({ blobs, catalog: {} as Catalog, vectors: store, spaces: fixedSpaces(store, embedder) });
    const out: IndexOutput = await new MockActivityEnvironment().run(activities.indexChunks, await pack(blobs));
    const failures = Object.fromEntries(out.items.map((i) => [i.documentId, i.ok ? 'indexed' : `${i.failure.code} ${i.failure.retryable ? 'retryable' : 'final'}`]));
    expect(failures).toEqual({ alpha: 'internal_error retryable', beta: 'embedding_rejected final', gamma: 'internal_error retryable' });
    expect(written).toEqual([]);
  });

  it('finds the document a refusal naming no input belongs to by embedding each on its own', async () => {
    const { embedder, calls } = scriptedEmbedder((texts) => (texts.some((t) => t.startsWith('beta')) ? new EmbeddingRequestError(400, 'input too long') : undefined));
    const { outcome, written } = await indexPack(embedder);
    expect(outcome).toEqual({ alpha: 'indexed', beta: 'embed embedding_rejected', gamma: 'indexed' });
    expect(written.sort()).toEqual(['alpha', 'gamma']);
    expect(calls.map((c) => c.length)).toEqual([3, 1, 1, 1]);
  });

  it('retries the whole pack when the endpoint is only unavailable', async () => {
    const { embedder } = scriptedEmbedder(() => new Error('connection reset'));
    const blobs = createFsBlobStore(mkdtempSync(path.join(os.tmpdir(), 'docflow-index-')));
    const { store } = recordingStore();
    const activities = createIndexActivities({ blobs, catalog: {} as Catalog, vectors: store, spaces: fixedSpaces(store, embedder) });
    await expect(new MockActivityEnvironment().run(activities.indexChunks, await pack(blobs))).rejects.toThrow(/connection reset/);
  });
});

describe('re-index bookkeeping (real SQLite catalog and LanceDB)', () => {
  it('activates only complete new versions, records why the others did not complete, then removes exactly the inactive versions and settles the documents', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'docflow-reindex-'));
    const catalog = createSqliteCatalog(':memory:');
    const vectors = await createLanceDbStore({ dir: path.join(dir, 'vectors') });
    try {
      await catalog.ensureTenant('t');
      await catalog.createBatch({ id: 'b', tenantId: 't', workflowId: 'w', documentCount: 3, idempotencyKey: null }, [
        contractDocument('done'),
        contractDocument('broke'),
        contractDocument('stopped'),
      ]);
      await catalog.updateDocuments('t', [outcome('done', 'indexed', { chunks: 2 }), outcome('broke', 'indexed', { chunks: 1 }), outcome('stopped', 'indexed', { chunks: 3 })]);
      await catalog.setBatchStatus('t', 'b', 'completed', 1);
      await catalog.startReindex('t', 'b', 'all', () => 'w-r2');
      // Version 1 of both, version 2 complete for one and partial for the other.
      await vectors.upsert('t', [
        contractPoint('t', 'done', 0, [1, 0, 0, 0], { version: 1 }),
        contractPoint('t', 'done', 1, [1, 0, 0, 0], { version: 1 }),
        contractPoint('t', 'done', 0, [1, 0, 0, 0], { version: 2 }),
        contractPoint('t', 'broke', 0, [1, 0, 0, 0], { version: 1 }),
        contractPoint('t', 'broke', 0, [1, 0, 0, 0], { version: 2 }),
        contractPoint('t', 'stopped', 0, [1, 0, 0, 0], { version: 1 }),
      ]);
      const activities = createIndexActivities({
        blobs: createFsBlobStore(path.join(dir, 'files')),
        catalog,
        vectors,
        spaces: fixedSpaces(vectors, scriptedEmbedder(() => undefined).embedder),
      });
      const env = new MockActivityEnvironment();
      const input: RecordOutcomesInput = {
        tenantId: 't',
        batchId: 'b',
        reindex: true,
        outcomes: [
          { documentId: 'done', status: 'indexed', chunks: 1, error: null, attempt: 1, startedAt: 5, finishedAt: 6 },
          {
            documentId: 'broke',
            status: 'failed',
            chunks: 0,
            error: { code: 'embedding_rejected', message: 'The model refused the text.' },
            attempt: 10,
            startedAt: 5,
            finishedAt: 6,
          },
          { documentId: 'stopped', status: 'cancelled', chunks: 0, error: { code: 'cancelled', message: 'The batch was cancelled.' }, attempt: 0, startedAt: null, finishedAt: 6 },
        ],
      };
      await env.run(activities.recordOutcomes, input);
      expect(await catalog.getDocument('t', 'done')).toMatchObject({ status: 'indexed', chunks: 1, activeVersion: 2, pendingVersion: 1 });
      expect(await catalog.getDocument('t', 'done')).toMatchObject({ lastReindexFailure: null });
      // The failed and the cancelled one stay indexed at version 1, with why version 2 did not complete.
      expect(await catalog.getDocument('t', 'broke')).toMatchObject({
        status: 'indexed',
        chunks: 1,
        activeVersion: 1,
        pendingVersion: 2,
        errorCode: null,
        lastReindexFailure: { code: 'embedding_rejected', message: 'The model refused the text.', version: 2 },
      });
      expect(await catalog.getDocument('t', 'stopped')).toMatchObject({
        status: 'indexed',
        chunks: 3,
        activeVersion: 1,
        errorCode: null,
        lastReindexFailure: { code: 'cancelled', message: 'The batch was cancelled.', version: 2 },
      });
      await env.run(activities.removeDocumentVectors, { tenantId: 't', documentIds: ['done', 'broke', 'stopped'], inactiveOnly: true });
      const versions = async (documentId: string) => (await vectors.listPointRefs('t')).filter((r) => r.documentId === documentId).map((r) => r.version);
      expect(await versions('done')).toEqual([2]);
      expect(await versions('broke')).toEqual([1]);
      expect(await versions('stopped')).toEqual([1]);
      expect(await catalog.listPendingVersions('t')).toEqual([]);
    } finally {
      await vectors.close();
      await catalog.close();
    }
  });
});

describe('the index step during an embedding-model switch', () => {
  /** Spaces from catalog rows that change as `rows` is reassigned, each generation its own recording store. */
  function switchingSpaces(defaultEmbedder: Embedder, other: Embedder) {
    const stores = new Map<number, ReturnType<typeof recordingStore>>();
    const storeOf = (generation: number) => {
      if (!stores.has(generation)) stores.set(generation, recordingStore());
      return stores.get(generation)!;
    };
    const base = { ...storeOf(1).store, forGeneration: (g: number) => storeOf(g).store } as unknown as VectorStore;
    const state = { rows: [] as IndexSpaceRecord[] };
    const spaces = createTenantSpaces({ catalog: { listIndexSpaces: async () => state.rows }, vectors: base, models: modelSet(defaultEmbedder, [other]) });
    const written = (generation: number) => storeOf(generation).written.map((p) => `${p.payload.documentId}:${p.vector.length}`);
    return { spaces, base, state, written };
  }
  const space = (generation: number, model: string, state: IndexSpaceRecord['state']): IndexSpaceRecord => ({
    tenantId: 't',
    generation,
    model,
    dimensions: 4,
    state,
    workflowId: null,
    createdAt: '',
    activatedAt: null,
  });
  const otherModel = (fail?: Error): Embedder => ({
    model: 'other',
    dimensions: async () => 2,
    health: async () => ({ ok: true, detail: 'other' }),
    embed: async (texts) => {
      if (fail) throw fail;
      return texts.map(() => [1, 0]);
    },
  });

  it('writes the pack to the space being built too, with that space’s own model', async () => {
    const { embedder } = scriptedEmbedder(() => undefined);
    const { spaces, base, state, written } = switchingSpaces(embedder, otherModel());
    state.rows = [space(1, 'scripted', 'active'), space(2, 'other', 'building')];
    const blobs = createFsBlobStore(mkdtempSync(path.join(os.tmpdir(), 'docflow-index-')));
    const activities = createIndexActivities({ blobs, catalog: {} as Catalog, vectors: spaceRoutedStore(base, spaces), spaces });
    const out: IndexOutput = await new MockActivityEnvironment().run(activities.indexChunks, await pack(blobs));
    expect(out.items.every((i) => i.ok)).toBe(true);
    expect(written(1).sort()).toEqual(['alpha:4', 'beta:4', 'gamma:4']);
    expect(written(2).sort()).toEqual(['alpha:2', 'beta:2', 'gamma:2']);
  });

  it('indexes the documents even when the space being built cannot be written (its switch copies them later)', async () => {
    const { embedder } = scriptedEmbedder(() => undefined);
    const { spaces, base, state, written } = switchingSpaces(embedder, otherModel(new Error('HTTP 503 after 3 attempts')));
    state.rows = [space(1, 'scripted', 'active'), space(2, 'other', 'building')];
    const blobs = createFsBlobStore(mkdtempSync(path.join(os.tmpdir(), 'docflow-index-')));
    const activities = createIndexActivities({ blobs, catalog: {} as Catalog, vectors: spaceRoutedStore(base, spaces), spaces });
    const out: IndexOutput = await new MockActivityEnvironment().run(activities.indexChunks, await pack(blobs));
    expect(out.items.every((i) => i.ok)).toBe(true);
    expect(written(1)).toHaveLength(3);
    expect(written(2)).toEqual([]);
  });

  it('also writes a space that became active while the pack ran, so the swap cannot lose it', async () => {
    const { embedder } = scriptedEmbedder(() => undefined);
    const { spaces, base, state, written } = switchingSpaces(embedder, otherModel());
    state.rows = [space(1, 'scripted', 'active')];
    const blobs = createFsBlobStore(mkdtempSync(path.join(os.tmpdir(), 'docflow-index-')));
    // The swap lands between the pack's first read of the spaces and its write.
    const swapping = {
      ...spaces,
      writable: async (tenantId: string) => {
        const now = await spaces.writable(tenantId);
        state.rows = [space(1, 'scripted', 'retiring'), space(2, 'other', 'active')];
        return now;
      },
    };
    const activities = createIndexActivities({ blobs, catalog: {} as Catalog, vectors: spaceRoutedStore(base, spaces), spaces: swapping });
    const out: IndexOutput = await new MockActivityEnvironment().run(activities.indexChunks, await pack(blobs));
    expect(out.items.every((i) => i.ok)).toBe(true);
    expect(written(1)).toHaveLength(3);
    expect(written(2).sort()).toEqual(['alpha:2', 'beta:2', 'gamma:2']);
  });
});
