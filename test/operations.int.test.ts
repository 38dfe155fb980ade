/**
 * Operations on real infrastructure: cancel mid-batch (unfinished documents lose every vector,
 * finished ones keep theirs), retry resuming at the failed step (no second parse, no second
 * embedding), delete (vectors, file and record gone), lists and search filters, and a
 * cross-tenant matrix where another tenant's key gets 404 and none of the data on every route
 * (the document inspector and every search mode included).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../api/keys.js';
import type { BatchView } from '../core/contracts.js';
import { makeText } from './fixtures/documents.js';
import { uploadBatch, waitForBatch } from './http.js';
import { indexWithFaults } from './index-faults.js';
import { startStack, type Stack } from './stack.js';

const longText = (i: number, paragraphs = 12) =>
  makeText(
    Array.from({ length: paragraphs }, (_, p) => `Record ${i}.${p} concerns the harbour ledger entry ${i * 100 + p}. ${'tides rise and fall again '.repeat(18)}`).join('\n\n'),
  );

describe('batch and document operations', () => {
  let stack: Stack;
  let otherKey: string;
  const counts = { parses: 0, embeddedTexts: 0 };
  const failUpsertFor = new Set<string>();
  beforeAll(async () => {
    stack = await startStack({
      fanOut: { documentsInFlight: 2, chunksPerStep: 4 },
      wrapParser: (real) => ({
        parse: (...args) => {
          counts.parses++;
          return real.parse(...args);
        },
      }),
      wrapEmbedder: (real) => ({
        model: real.model,
        dimensions: () => real.dimensions(),
        health: () => real.health(),
        embed: (...args) => {
          counts.embeddedTexts += args[0].length;
          return real.embed(...args);
        },
      }),
      wrapIndexActivities: (real) => ({
        ...real,
        // Every range is embedded and written, then all but the first are reported refused for good.
        indexChunks: (input) =>
          indexWithFaults(
            real,
            input,
            (item) =>
              failUpsertFor.has(item.documentId) && item.start > 0
                ? { step: 'upsert', code: 'internal_error', message: 'the vector store refused the write (injected)', retryable: false }
                : null,
            'after-work',
          ),
      }),
    });
    await stack.catalog.ensureTenant('other');
    const key = generateApiKey();
    await stack.catalog.addApiKey('other', key.hash, key.prefix);
    otherKey = key.key;
  });
  afterAll(async () => {
    await stack?.close();
  });

  const api = (path: string, init: RequestInit = {}, key = stack.apiKey) =>
    fetch(`${stack.baseUrl}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });

  it('cancels mid-batch: unfinished documents end cancelled with zero vectors, finished ones keep theirs', async () => {
    const upload = await uploadBatch(
      stack.baseUrl,
      stack.apiKey,
      Array.from({ length: 8 }, (_, i) => ({ name: `c${i}.txt`, bytes: longText(i) })),
    );
    expect(upload.status).toBe(202);
    const batchId: string = upload.body.batchId;
    for (const deadline = Date.now() + 120_000; ;) {
      const view = (await (await api(`/api/batches/${batchId}`)).json()) as BatchView;
      if (view.documents.some((d) => d.status === 'indexed')) break;
      if (view.status !== 'running' || Date.now() > deadline) throw new Error(`no document indexed before cancel: ${view.status}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const cancel = await api(`/api/batches/${batchId}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(202);
    const view = await waitForBatch(stack.baseUrl, stack.apiKey, batchId);
    expect(view.status).toBe('cancelled');
    const indexed = view.documents.filter((d) => d.status === 'indexed');
    const cancelled = view.documents.filter((d) => d.status === 'cancelled');
    expect(indexed.length).toBeGreaterThan(0);
    expect(cancelled.length).toBeGreaterThan(0);
    expect(indexed.length + cancelled.length).toBe(8);
    for (const d of cancelled) {
      expect(d.error?.code).toBe('cancelled');
      expect(await stack.vectors.countDocument('demo', d.documentId)).toBe(0);
    }
    for (const d of indexed) expect(await stack.vectors.countDocument('demo', d.documentId)).toBe(d.chunks);
    expect((await api(`/api/batches/${batchId}/cancel`, { method: 'POST' })).status).toBe(409);
  });

  it('retries a failed document from the step that failed, without parsing or embedding again', async () => {
    const start = { ...counts };
    const upload = await uploadBatch(stack.baseUrl, stack.apiKey, [{ name: 'flaky.txt', bytes: longText(99) }]);
    const batchId: string = upload.body.batchId;
    const documentId: string = upload.body.documents[0].documentId;
    failUpsertFor.add(documentId);
    const failed = await waitForBatch(stack.baseUrl, stack.apiKey, batchId);
    expect(failed.status).toBe('failed');
    expect(failed.documents[0]).toMatchObject({ status: 'failed', error: { code: 'internal_error' } });
    expect(await stack.vectors.countDocument('demo', documentId)).toBe(0); // partial vectors removed
    // Run 1: parsed once, every chunk embedded once; then the upserts after the first group failed for good.
    expect(counts.parses - start.parses).toBe(1);
    const embeddedInRun1 = counts.embeddedTexts - start.embeddedTexts;
    expect(embeddedInRun1).toBeGreaterThan(4);

    failUpsertFor.delete(documentId);
    const retry = await api(`/api/documents/${documentId}/retry`, { method: 'POST' });
    expect(retry.status).toBe(202);
    expect(await retry.json()).toMatchObject({ batchId, run: 2, documentIds: [documentId] });
    const done = await waitForBatch(stack.baseUrl, stack.apiKey, batchId);
    expect(done.status).toBe('completed');
    const doc = done.documents[0];
    expect(doc.status).toBe('indexed');
    expect(await stack.vectors.countDocument('demo', documentId)).toBe(doc.chunks);
    const groups = Math.ceil(doc.chunks / 4);
    expect(groups).toBeGreaterThan(2);
    expect(counts.parses - start.parses).toBe(1); // parsed text reused, not parsed again
    expect(counts.embeddedTexts - start.embeddedTexts).toBe(doc.chunks); // each chunk embedded exactly once across both runs
    expect(embeddedInRun1).toBe(doc.chunks);
    expect((await api(`/api/batches/${batchId}/retry`, { method: 'POST' })).status).toBe(409);
  });

  it('lists, filters search, and deletes a document with its vectors and file', async () => {
    const upload = await uploadBatch(stack.baseUrl, stack.apiKey, [
      { name: 'keep.txt', bytes: makeText('Glassblowers in Murano shape vases from molten sand.') },
      { name: 'drop.txt', bytes: makeText('Beekeepers in Tuscany harvest chestnut honey in autumn.') },
    ]);
    const batchId: string = upload.body.batchId;
    const [keep, drop] = upload.body.documents.map((d: { documentId: string }) => d.documentId);
    await waitForBatch(stack.baseUrl, stack.apiKey, batchId);

    const batches = (await (await api('/api/batches?limit=2')).json()) as { batches: { batchId: string }[]; nextCursor: string | null };
    expect(batches.batches[0].batchId).toBe(batchId);
    expect(batches.nextCursor).toBe('2');
    const docs = (await (await api(`/api/documents?batchId=${batchId}`)).json()) as { documents: { documentId: string }[] };
    expect(docs.documents.map((d) => d.documentId).sort()).toEqual([keep, drop].sort());
    expect((await api('/api/documents?status=bogus')).status).toBe(400);

    const filtered = (await (await api('/api/search', { method: 'POST', body: JSON.stringify({ query: 'honey harvest', limit: 5, documentIds: [keep] }) })).json()) as {
      results: { documentId: string }[];
    };
    expect(filtered.results.length).toBeGreaterThan(0);
    expect(filtered.results.every((r) => r.documentId === keep)).toBe(true);

    const record = await stack.catalog.getDocument('demo', drop);
    const res = await api(`/api/documents/${drop}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ documentId: drop, deleted: true, vectorsRemaining: 0 });
    expect(await stack.vectors.countDocument('demo', drop)).toBe(0);
    expect(await stack.blobs.hasBlob(record!.blobKey)).toBe(false);
    expect((await api(`/api/documents/${drop}`)).status).toBe(404);
    const all = (await (await api('/api/search', { method: 'POST', body: JSON.stringify({ query: 'chestnut honey from beekeepers', limit: 10 }) })).json()) as {
      results: { documentId: string }[];
    };
    expect(all.results.some((r) => r.documentId === drop)).toBe(false);
  });

  it('skips content the tenant already indexed, pointing at the existing document, unless reindex is asked for', async () => {
    const bytes = makeText('Lighthouse lenses are polished by hand in Genoa.');
    const first = await uploadBatch(stack.baseUrl, stack.apiKey, [{ name: 'lens.txt', bytes }]);
    await waitForBatch(stack.baseUrl, stack.apiKey, first.body.batchId);
    const original: string = first.body.documents[0].documentId;

    const again = await uploadBatch(stack.baseUrl, stack.apiKey, [{ name: 'lens-copy.txt', bytes }]);
    expect(again.body.documents[0].status).toBe('skipped');
    const skipped = await waitForBatch(stack.baseUrl, stack.apiKey, again.body.batchId);
    expect(skipped.status).toBe('completed');
    expect(skipped.documents[0]).toMatchObject({ status: 'skipped', duplicateOf: original });

    const form = new FormData();
    form.append('files', new Blob([bytes as Uint8Array<ArrayBuffer>]), 'lens-again.txt');
    const forced = await fetch(`${stack.baseUrl}/api/batches?reindex=true`, { method: 'POST', body: form, headers: { authorization: `Bearer ${stack.apiKey}` } });
    const body = (await forced.json()) as { batchId: string; documents: { documentId: string; status: string }[] };
    expect(body.documents[0].status).toBe('queued');
    const reindexed = await waitForBatch(stack.baseUrl, stack.apiKey, body.batchId);
    expect(reindexed.documents[0].status).toBe('indexed');
  });

  it('gives another tenant 404 and none of the data on every route', async () => {
    const upload = await uploadBatch(stack.baseUrl, stack.apiKey, [{ name: 'private-ledger.txt', bytes: makeText('The secret recipe uses saffron from Navelli.') }]);
    const batchId: string = upload.body.batchId;
    const documentId: string = upload.body.documents[0].documentId;
    await waitForBatch(stack.baseUrl, stack.apiKey, batchId);
    const routes: [string, string, string?][] = [
      ['GET', `/api/batches/${batchId}`],
      ['GET', `/api/batches/${batchId}/events`],
      ['POST', `/api/batches/${batchId}/cancel`],
      ['POST', `/api/batches/${batchId}/retry`],
      ['POST', `/api/batches/${batchId}/reindex`, '{"maxTokens":100}'],
      ['GET', `/api/documents/${documentId}`],
      ['GET', `/api/documents/${documentId}/chunks`],
      ['POST', `/api/documents/${documentId}/retry`],
      ['POST', `/api/documents/${documentId}/reindex`, '{}'],
      ['DELETE', `/api/documents/${documentId}`],
    ];
    for (const [method, path, body] of routes) {
      const res = await api(path, { method, ...(body ? { body } : {}) }, otherKey);
      const text = await res.text();
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(text).not.toContain('private-ledger');
      expect(text).not.toContain('saffron');
    }
    const lists = [await api('/api/batches', {}, otherKey), await api('/api/documents', {}, otherKey), await api(`/api/documents?batchId=${batchId}`, {}, otherKey)];
    for (const res of lists) {
      const text = await res.text();
      expect(res.status).toBe(200);
      expect(text).not.toContain(batchId);
      expect(text).not.toContain(documentId);
    }
    for (const mode of ['dense', 'hybrid', 'keyword']) {
      const search = await api('/api/search', { method: 'POST', body: JSON.stringify({ query: 'secret recipe saffron', limit: 10, batchIds: [batchId], mode }) }, otherKey);
      expect(search.status).toBe(200);
      expect((await search.json()) as unknown, mode).toEqual({ results: [] });
      const unfiltered = await api('/api/search', { method: 'POST', body: JSON.stringify({ query: 'secret recipe saffron Navelli', limit: 50, mode }) }, otherKey);
      expect(await unfiltered.text()).not.toContain('saffron');
    }
    // And the owner still has everything, in every mode, and can inspect it.
    expect(await stack.vectors.countDocument('demo', documentId)).toBeGreaterThan(0);
    const own = await api('/api/search', { method: 'POST', body: JSON.stringify({ query: 'Navelli', limit: 5, mode: 'keyword' }) });
    expect(((await own.json()) as { results: { documentId: string; matched: string }[] }).results[0]).toMatchObject({ documentId, matched: 'keyword' });
    const chunks = (await (await api(`/api/documents/${documentId}/chunks`)).json()) as { chunks: { text: string }[] };
    expect(chunks.chunks.map((c) => c.text).join(' ')).toContain('saffron from Navelli');
    expect((await api(`/api/documents/${documentId}`)).status).toBe(200);
  });
});
