import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Embedder, EmbedPurpose } from './embedder.js';
import { fusionDepth, searchIndex, SINGLE_VERSION_INDEX } from './index-search.js';
import { fixedSpaces } from './index-spaces.js';
import { createSqliteCatalog } from './sqlite-catalog.js';
import { contractDocument } from './catalog.contract.js';
import { createLanceDbStore } from './lancedb-store.js';
import { contractPoint } from './vector-store.contract.js';
import type { VectorStore } from './vector-store.js';

/** Embeds queries to fixed vectors, as if the model had read them; records every call. */
function scriptedEmbedder(vectors: Record<string, number[]>): Embedder & { calls: { texts: string[]; purpose: EmbedPurpose }[] } {
  const calls: { texts: string[]; purpose: EmbedPurpose }[] = [];
  return {
    model: 'scripted',
    calls,
    dimensions: async () => 4,
    health: async () => ({ ok: true, detail: 'scripted' }),
    embed: async (texts, purpose) => {
      calls.push({ texts, purpose });
      return texts.map((t) => vectors[t] ?? [0, 0, 0, 1]);
    },
  };
}

describe('searchIndex (real LanceDB, scripted query embeddings)', () => {
  let dir: string;
  let vectors: VectorStore;
  const T = 'acme';
  // Three chunks whose vectors say "pumps" and one about valves. Only one names XR-7734-B.
  const chunks = [
    contractPoint(T, 'doc-pump-a', 0, [1, 0, 0, 0], { text: 'The main bilge pump moves forty litres a minute.' }),
    contractPoint(T, 'doc-pump-b', 0, [0.95, 0.05, 0, 0], { text: 'Spare pump XR-7734-B fits the aft compartment.' }),
    contractPoint(T, 'doc-pump-c', 0, [0.9, 0.1, 0, 0], { text: 'Pump XR-7735-C was withdrawn in 2019.' }),
    contractPoint(T, 'doc-valve', 0, [0, 1, 0, 0], { text: 'The sea valve must be closed before service.' }),
  ];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'docflow-index-search-'));
    vectors = await createLanceDbStore({ dir });
    await vectors.upsert(T, chunks);
  });
  afterAll(async () => {
    await vectors.close();
    await rm(dir, { recursive: true, force: true });
  });

  const run = (embedder: Embedder, query: string, mode: 'dense' | 'hybrid' | 'keyword', limit = 3) =>
    searchIndex({ spaces: fixedSpaces(vectors, embedder), catalog: SINGLE_VERSION_INDEX }, { tenantId: T, query, mode, limit });
  const docs = (hits: { payload: { documentId: string } }[]) => hits.map((h) => h.payload.documentId);

  it('dense mode embeds the query as a query and ranks by cosine similarity', async () => {
    const embedder = scriptedEmbedder({ 'how fast does the pump move water?': [1, 0, 0, 0] });
    const hits = await run(embedder, 'how fast does the pump move water?', 'dense');
    expect(docs(hits)).toEqual(['doc-pump-a', 'doc-pump-b', 'doc-pump-c']);
    expect(hits.every((h) => h.matched === 'dense')).toBe(true);
    expect(hits[0].score).toBeCloseTo(1, 4);
    expect(embedder.calls).toEqual([{ texts: ['how fast does the pump move water?'], purpose: 'query' }]);
  });

  it('keyword mode never calls the embedder', async () => {
    const embedder = scriptedEmbedder({});
    const hits = await run(embedder, 'XR-7734-B', 'keyword');
    expect(docs(hits)[0]).toBe('doc-pump-b');
    expect(hits.every((h) => h.matched === 'keyword')).toBe(true);
    expect(embedder.calls).toEqual([]);
  });

  it('hybrid mode puts first the identifier the embeddings could not tell apart, and says which retrievals found each result', async () => {
    // To the "model", the part number reads like any pump: the first pump chunk is nearest.
    const embedder = scriptedEmbedder({ 'XR-7734-B': [1, 0, 0, 0] });
    expect(docs(await run(embedder, 'XR-7734-B', 'dense', 1))).toEqual(['doc-pump-a']);
    const hits = await run(embedder, 'XR-7734-B', 'hybrid');
    // XR-7735-C shares one word of three with the query (xr): too little to count as a keyword match.
    expect(hits.map((h) => [h.payload.documentId, h.matched])).toEqual([
      ['doc-pump-b', 'both'],
      ['doc-pump-a', 'dense'],
      ['doc-pump-c', 'dense'],
    ]);
    expect(hits[0].score).toBeCloseTo(1 / 62 + 1 / 61, 10); // dense rank 2, keyword rank 1 with every word
  });

  it('weighs a keyword result by the share of the query words it holds', async () => {
    // "spare", "pump", "aft": the XR-7734-B chunk has all three, the other pump chunks one (too few).
    const embedder = scriptedEmbedder({ 'spare pump aft': [0, 1, 0, 0] });
    const hits = await run(embedder, 'spare pump aft', 'hybrid', 4);
    expect(hits[0]).toMatchObject({ matched: 'both', payload: { documentId: 'doc-pump-b' } });
    expect(hits.filter((h) => h.matched !== 'dense').map((h) => h.payload.documentId)).toEqual(['doc-pump-b']);
    const partial = await run(scriptedEmbedder({ 'bilge pump spare parts list': [0, 1, 0, 0] }), 'bilge pump spare parts list', 'hybrid', 4);
    // bilge + pump = 2 of 5 words for pump-a; spare + pump = 2 of 5 for pump-b: neither counts, the embeddings decide.
    expect(partial.map((h) => h.matched)).toEqual(['dense', 'dense', 'dense', 'dense']);
    expect(partial[0].payload.documentId).toBe('doc-valve');
  });

  it('passes the filter to both retrievals', async () => {
    const embedder = scriptedEmbedder({ 'XR-7734-B': [1, 0, 0, 0] });
    const hits = await searchIndex(
      { spaces: fixedSpaces(vectors, embedder), catalog: SINGLE_VERSION_INDEX },
      { tenantId: T, query: 'XR-7734-B', mode: 'hybrid', limit: 5, filter: { documentIds: ['doc-valve', 'doc-pump-b'] } },
    );
    expect(docs(hits)).toEqual(['doc-pump-b', 'doc-valve']);
    expect(hits.map((h) => h.matched)).toEqual(['both', 'dense']);
  });

  it('answers each document from its active version only, in every mode, and switches when the catalog does', async () => {
    const catalog = createSqliteCatalog(':memory:');
    try {
      await catalog.ensureTenant(T);
      await catalog.createBatch({ id: 'b1', tenantId: T, workflowId: 'w', documentCount: 1, idempotencyKey: null }, [contractDocument('doc-pump-b')]);
      await catalog.updateDocuments(T, [{ documentId: 'doc-pump-b', status: 'indexed', chunks: 1, errorCode: null, errorMessage: null, attempt: 1, startedAt: 1, finishedAt: 2 }]);
      await catalog.setBatchStatus(T, 'b1', 'completed', 1);
      await catalog.startReindex(T, 'b1', 'all', () => 'w-r2');
      // Version 2 is being built: its chunk is the best match for every retrieval, and must not answer yet.
      await vectors.upsert(T, [contractPoint(T, 'doc-pump-b', 0, [1, 0, 0, 0], { version: 2, text: 'Spare pump XR-7734-B, second edition.' })]);
      const embedder = scriptedEmbedder({ 'XR-7734-B': [1, 0, 0, 0] });
      const versionsOf = async (mode: 'dense' | 'hybrid' | 'keyword') =>
        (await searchIndex({ spaces: fixedSpaces(vectors, embedder), catalog }, { tenantId: T, query: 'XR-7734-B', mode, limit: 5 }))
          .filter((h) => h.payload.documentId === 'doc-pump-b')
          .map((h) => h.payload.version);
      for (const mode of ['dense', 'hybrid', 'keyword'] as const) expect(await versionsOf(mode)).toEqual([1]);
      await catalog.activateVersions(T, [{ documentId: 'doc-pump-b', status: 'indexed', chunks: 1, errorCode: null, errorMessage: null, attempt: 1, startedAt: 3, finishedAt: 4 }]);
      // Version 1's point is still stored until it is removed, but no longer answers.
      for (const mode of ['dense', 'hybrid', 'keyword'] as const) expect(await versionsOf(mode)).toEqual([2]);
    } finally {
      await vectors.deletePoints(T, [contractPoint(T, 'doc-pump-b', 0, [1, 0, 0, 0], { version: 2 }).id]);
      await catalog.close();
    }
  });

  it('reads each ranking deep enough for fusion, within bounds', () => {
    expect([1, 5, 10, 50].map(fusionDepth)).toEqual([20, 20, 40, 100]);
  });
});
