/**
 * Versioned re-index on the real stack (Temporal, workers, embedding server, LanceDB, SQLite):
 * a document re-indexed with other chunk sizes stays searchable at every moment (a loop searches
 * it every 200 ms throughout), then answers from the new version only, with the new chunk sizes,
 * and the old version's points are gone from the store; a re-index that fails half-way (some of
 * the new version's points written, then the step refused for good) leaves the old version
 * active, complete and searchable, with none of the new version's points left behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../api/keys.js';
import type { DocumentChunksResponse, DocumentDetail, SearchResponse } from '../core/contracts.js';
import { makeText } from './fixtures/documents.js';
import { uploadBatch, waitForBatch } from './http.js';
import { indexWithFaults } from './index-faults.js';
import { startStack, type Stack } from './stack.js';

/** A document of many paragraphs, each naming the document's own word so every chunk can be found by it. */
const ledger = (word: string) =>
  makeText(
    Array.from(
      { length: 10 },
      (_, p) => `The ${word} ledger, entry ${p}, records what the harbour master saw that night. ${'Ships came in with the tide and left before dawn. '.repeat(12)}`,
    ).join('\n\n'),
  );

describe('versioned re-index', () => {
  let stack: Stack;
  /** Documents whose re-index fails after the first range: later ranges are written, then refused for good. */
  const failReindexOf = new Set<string>();
  /** Documents whose new version's index steps linger after writing, so searches run while both versions are stored. */
  const lingerAfterWrite = new Set<string>();
  /** Ranges of a new version (above 1) that reached the store, per document. */
  const newVersionRangesWritten = new Map<string, number>();

  beforeAll(async () => {
    stack = await startStack({
      fanOut: { chunksPerStep: 4 },
      wrapIndexActivities: (real) => ({
        ...real,
        indexChunks: async (input) => {
          for (const item of input.items) if (item.version > 1) newVersionRangesWritten.set(item.documentId, (newVersionRangesWritten.get(item.documentId) ?? 0) + 1);
          const out = await indexWithFaults(
            real,
            input,
            (item) =>
              failReindexOf.has(item.documentId) && item.version > 1 && item.start > 0
                ? { step: 'upsert', code: 'internal_error', message: 'the vector store refused the write (injected)', retryable: false }
                : null,
            'after-work',
          );
          if (input.items.some((item) => item.version > 1 && lingerAfterWrite.has(item.documentId))) await new Promise((r) => setTimeout(r, 1_500));
          return out;
        },
      }),
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${stack.baseUrl}${path}`, { ...init, headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
  const chunksOf = async (documentId: string) => (await (await api(`/api/documents/${documentId}/chunks?limit=100`)).json()) as DocumentChunksResponse;
  const detailOf = async (documentId: string) => (await (await api(`/api/documents/${documentId}`)).json()) as DocumentDetail;
  const search = async (query: string, mode: string) => {
    const res = await api('/api/search', { method: 'POST', body: JSON.stringify({ query, limit: 5, mode }) });
    expect(res.status).toBe(200);
    return ((await res.json()) as SearchResponse).results;
  };

  /** Uploads one document and waits until it is indexed; returns its id and its chunks. */
  async function indexed(name: string, word: string) {
    const upload = await uploadBatch(stack.baseUrl, stack.apiKey, [{ name, bytes: ledger(word) }]);
    expect(upload.status).toBe(202);
    const view = await waitForBatch(stack.baseUrl, stack.apiKey, upload.body.batchId);
    expect(view.documents[0].status).toBe('indexed');
    const documentId: string = upload.body.documents[0].documentId;
    return { documentId, batchId: upload.body.batchId as string, before: await chunksOf(documentId) };
  }

  it('re-indexes with smaller chunks while every search, every 200 ms, still finds the document', async () => {
    const { documentId, batchId, before } = await indexed('quillfeather.txt', 'Quillfeather');
    expect(before.version).toBe(1);
    expect(before.chunkCount).toBeGreaterThan(1);
    expect(Math.max(...before.chunks.map((c) => c.tokens))).toBeGreaterThan(100);

    // The loop searches by meaning, by words and both, in turn; every answer must include the document.
    const modes = ['hybrid', 'dense', 'keyword'];
    const missed: string[] = [];
    let searches = 0;
    // Searches made while the store held both versions' points: the window the re-index must cover.
    let withBothVersions = 0;
    let searching = true;
    lingerAfterWrite.add(documentId);
    const loop = (async () => {
      while (searching) {
        const mode = modes[searches % modes.length];
        const results = await search('Quillfeather ledger harbour master', mode);
        searches++;
        if (!results.some((r) => r.documentId === documentId)) missed.push(`${mode}: ${JSON.stringify(results.map((r) => r.documentId))}`);
        const oldPoints = (await stack.vectors.documentChunks('demo', documentId, 1, 0, 100)).length;
        if (oldPoints > 0 && (await stack.vectors.countDocument('demo', documentId, 1)) > 0) withBothVersions++;
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    try {
      const reindex = await api(`/api/documents/${documentId}/reindex`, { method: 'POST', body: JSON.stringify({ maxTokens: 60, overlapTokens: 0 }) });
      expect(reindex.status).toBe(202);
      expect(await reindex.json()).toEqual({ batchId, run: 2, documentIds: [documentId] });
      const done = await waitForBatch(stack.baseUrl, stack.apiKey, batchId);
      expect(done.status).toBe('completed');
      // A few more searches after the switch and the removal of the old version.
      const after = searches + 3;
      while (searches < after) await new Promise((r) => setTimeout(r, 50));
    } finally {
      searching = false;
      await loop;
    }
    expect(missed).toEqual([]);
    expect(searches).toBeGreaterThan(5);
    expect(withBothVersions).toBeGreaterThan(0);

    // The inspector shows the new version, cut to the new size.
    const chunks = await chunksOf(documentId);
    expect(chunks.version).toBe(2);
    expect(chunks.chunkCount).toBeGreaterThan(before.chunkCount);
    expect(chunks.chunks).toHaveLength(chunks.chunkCount);
    for (const c of chunks.chunks) expect(c.tokens).toBeLessThanOrEqual(60);
    expect(await detailOf(documentId)).toMatchObject({ status: 'indexed', version: 2, chunks: chunks.chunkCount });
    // In the store: exactly the new version's points, none of the old one's.
    expect(await stack.vectors.countDocument('demo', documentId)).toBe(chunks.chunkCount);
    expect(await stack.vectors.countDocument('demo', documentId, 2)).toBe(0);
    expect((await stack.vectors.documentChunks('demo', documentId, 1, 0, 100)).length).toBe(0);
    expect(await stack.catalog.listPendingVersions('demo')).toEqual([]);
  });

  it('leaves the old version active, complete and searchable when a re-index fails half-way', async () => {
    const { documentId, batchId, before } = await indexed('saltmarsh.txt', 'Saltmarsh');
    failReindexOf.add(documentId);
    const reindex = await api(`/api/documents/${documentId}/reindex`, { method: 'POST', body: JSON.stringify({ maxTokens: 60 }) });
    expect(reindex.status).toBe(202);
    await waitForBatch(stack.baseUrl, stack.apiKey, batchId);
    // It did fail half-way: several ranges of version 2 reached the store before the refusals.
    expect(newVersionRangesWritten.get(documentId)).toBeGreaterThan(1);

    // The record and the inspector still show version 1, as it was; the record says why version 2 did not complete.
    expect(await detailOf(documentId)).toMatchObject({
      status: 'indexed',
      version: 1,
      chunks: before.chunkCount,
      error: null,
      lastReindexFailure: { code: 'internal_error', message: expect.stringContaining('the vector store refused the write (injected)'), version: 2, at: expect.any(String) },
    });
    const chunks = await chunksOf(documentId);
    expect(chunks).toEqual(before);
    // In the store: all of version 1, nothing of version 2.
    expect(await stack.vectors.countDocument('demo', documentId)).toBe(before.chunkCount);
    expect(await stack.vectors.countDocument('demo', documentId, 1)).toBe(0);
    expect(await stack.catalog.getDocument('demo', documentId)).toMatchObject({ activeVersion: 1, pendingVersion: null, version: 2 });
    for (const mode of ['hybrid', 'dense', 'keyword']) {
      const results = await search('Saltmarsh ledger harbour master', mode);
      expect(
        results.map((r) => r.documentId),
        mode,
      ).toContain(documentId);
    }

    // Once the store takes writes again, the document re-indexes to a version never used before.
    failReindexOf.delete(documentId);
    expect((await api(`/api/documents/${documentId}/reindex`, { method: 'POST', body: JSON.stringify({ maxTokens: 60 }) })).status).toBe(202);
    await waitForBatch(stack.baseUrl, stack.apiKey, batchId);
    const redone = await chunksOf(documentId);
    expect(redone.version).toBe(3);
    // Version 3 is active: the earlier failure is no longer the document's last word.
    expect(await detailOf(documentId)).toMatchObject({ status: 'indexed', version: 3, lastReindexFailure: null });
    for (const c of redone.chunks) expect(c.tokens).toBeLessThanOrEqual(60);
    expect(await stack.vectors.countDocument('demo', documentId)).toBe(redone.chunkCount);
    expect(await stack.vectors.countDocument('demo', documentId, 3)).toBe(0);
  });

  it('gives another tenant 404 and none of the data on both re-index routes', async () => {
    const { documentId, batchId } = await indexed('private-tidebook.txt', 'Tidebook');
    await stack.catalog.ensureTenant('other');
    const key = generateApiKey();
    await stack.catalog.addApiKey('other', key.hash, key.prefix);
    for (const path of [`/api/documents/${documentId}/reindex`, `/api/batches/${batchId}/reindex`]) {
      const res = await fetch(`${stack.baseUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key.key}` } });
      const text = await res.text();
      expect(res.status, path).toBe(404);
      expect(text).not.toContain('private-tidebook');
      expect(text).not.toContain('Tidebook');
    }
    // Nothing was started for the owner's batch either.
    expect((await stack.catalog.getBatch('demo', batchId))?.currentRun).toBe(1);
  });
});
