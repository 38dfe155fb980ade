import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLanceDbStore } from '../adapters/lancedb-store.js';
import { contractPoint } from '../adapters/vector-store.contract.js';
import type { VectorStore } from '../adapters/vector-store.js';
import type { DocumentChunksResponse } from '../core/contracts.js';
import { estimateTokens } from '../core/token-estimate.js';
import { createTestApp, oneFileForm } from './test-app.js';

describe('GET /api/documents/{id}/chunks (real LanceDB)', () => {
  let dir: string;
  let vectors: VectorStore;
  let setup: Awaited<ReturnType<typeof createTestApp>>;
  let documentId: string;
  let queuedId: string;

  const get = (url: string, tenant = 'alpha') => setup.app.request(url, { headers: { authorization: `Bearer ${setup.keys[tenant]}` } });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'docflow-inspector-'));
    vectors = await createLanceDbStore({ dir });
    setup = await createTestApp({ vectors });
    const upload = async () => {
      const res = await setup.app.request('/api/batches', {
        method: 'POST',
        headers: { authorization: `Bearer ${setup.keys.alpha}` },
        body: oneFileForm('manual.txt', `manual ${Math.random()}`),
      });
      return ((await res.json()) as { documents: { documentId: string }[] }).documents[0].documentId;
    };
    documentId = await upload();
    queuedId = await upload();
    await setup.catalog.updateDocuments('alpha', [{ documentId, status: 'indexed', chunks: 5, errorCode: null, errorMessage: null, attempt: 1, startedAt: 1, finishedAt: 2 }]);
    const doc = (await setup.catalog.getDocument('alpha', documentId))!;
    await vectors.upsert('alpha', [
      ...[4, 3, 2, 1, 0].map((i) =>
        contractPoint('alpha', documentId, i, [1, i, 0, 0], {
          batchId: doc.batchId,
          text: `Chunk number ${i} of the pump manual.`,
          headingPath: ['Pumps', `Part ${i}`],
          heading: `Part ${i}`,
          ocrConfidence: i === 2 ? 71.5 : null,
        }),
      ),
      // A chunk of another version (one being built, say) is never shown.
      contractPoint('alpha', documentId, 0, [0, 1, 0, 0], { batchId: doc.batchId, version: 2, text: 'next version' }),
    ]);
  });
  afterAll(async () => {
    await vectors.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('pages through the active version in order, with tokens and provenance', async () => {
    const first = await get(`/api/documents/${documentId}/chunks?limit=2`);
    expect(first.status).toBe(200);
    const page = (await first.json()) as DocumentChunksResponse;
    expect(page).toMatchObject({ documentId, version: 1, chunkCount: 5, nextCursor: '2' });
    expect(page.chunks.map((c) => c.index)).toEqual([0, 1]);
    expect(page.chunks[1]).toEqual({
      index: 1,
      text: 'Chunk number 1 of the pump manual.',
      tokens: estimateTokens('Chunk number 1 of the pump manual.'),
      page: 2,
      heading: 'Part 1',
      headingPath: ['Pumps', 'Part 1'],
      sheet: null,
      rowStart: null,
      rowEnd: null,
      ocrConfidence: null,
      charStart: 100,
      charEnd: 190,
    });
    const second = (await (await get(`/api/documents/${documentId}/chunks?limit=2&cursor=2`)).json()) as DocumentChunksResponse;
    expect(second.chunks.map((c) => [c.index, c.ocrConfidence])).toEqual([
      [2, 71.5],
      [3, null],
    ]);
    const last = (await (await get(`/api/documents/${documentId}/chunks?limit=2&cursor=4`)).json()) as DocumentChunksResponse;
    expect(last.chunks.map((c) => c.index)).toEqual([4]);
    expect(last.nextCursor).toBeNull();
    const past = (await (await get(`/api/documents/${documentId}/chunks?cursor=9`)).json()) as DocumentChunksResponse;
    expect(past).toMatchObject({ chunks: [], nextCursor: null });
  });

  it('shows no chunks for a document that is not indexed', async () => {
    const res = await get(`/api/documents/${queuedId}/chunks`);
    expect(await res.json()).toEqual({ documentId: queuedId, version: 1, chunkCount: 0, chunks: [], nextCursor: null });
  });

  it('answers another tenant 404 with none of the data', async () => {
    for (const url of [`/api/documents/${documentId}/chunks`, `/api/documents/${documentId}/chunks?limit=100`]) {
      const res = await get(url, 'beta');
      const text = await res.text();
      expect(res.status).toBe(404);
      expect(text).not.toContain('pump manual');
      expect(text).not.toContain('manual.txt');
    }
    expect((await get('/api/documents/not-a-document/chunks')).status).toBe(404);
  });

  it('refuses a bad cursor or limit with a reason', async () => {
    for (const query of ['cursor=-1', 'cursor=abc', 'limit=0', 'limit=101']) {
      const res = await get(`/api/documents/${documentId}/chunks?${query}`);
      expect(res.status, query).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('bad_request');
    }
  });

  it('shows the record with its version and the workflow of its last run', async () => {
    const detail = (await (await get(`/api/documents/${documentId}`)).json()) as { version: number; workflowId: string; run: number; batchId: string };
    expect(detail.version).toBe(1);
    expect(detail.workflowId).toBe(`ingest-alpha-${detail.batchId}`);
  });
});
