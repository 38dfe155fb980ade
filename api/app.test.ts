/**
 * The API's own behaviour with Temporal, embedder and vector store replaced by in-memory fakes
 * (the real ones are exercised by the integration tests): auth, upload outcomes, idempotency,
 * tenant scoping, the SSE framing and the error shape. Requests go through Hono's typed client
 * (`hc`), so a route whose path, parameters or answers change breaks this file's type check.
 */
import { describe, expect, it } from 'vitest';
import { applyBatchDelta, type BatchDelta, type BatchView } from '../core/contracts.js';
import { DocumentError } from '../core/formats.js';
import { createTestApp, type typedClient } from './test-app.js';

type Client = ReturnType<typeof typedClient>;

/** POST /api/batches with a multipart body; the body is streamed by the app, so it is passed as is. */
const upload = (client: Client, key: string, body: FormData, idempotencyKey?: string) =>
  client.api.batches.$post({ query: {}, header: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {} }, { headers: { authorization: `Bearer ${key}` }, init: { body } });
const bearer = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });

async function setup() {
  return createTestApp({
    inspectFile: async (_path, filename) => {
      if (filename.endsWith('.exe')) throw new DocumentError('type_mismatch', 'this is not a document');
      return 'txt';
    },
  });
}

const form = (...files: [string, string][]) => {
  const f = new FormData();
  for (const [name, content] of files) f.append('files', new Blob([content]), name);
  return f;
};

describe('API', () => {
  it('requires a valid bearer key and answers in the one error shape', async () => {
    const { app } = await setup();
    for (const headers of [{}, { authorization: 'Bearer nope-nope-nope' }, { authorization: 'Basic abc' }] as Record<string, string>[]) {
      const res = await app.request('/api/batches/x', { headers });
      expect(res.status).toBe(401);
      const body = (await res.json()) as { error: { code: string; message: string; requestId: string } };
      expect(body.error.code).toBe('unauthorized');
      expect(body.error.requestId).toBe(res.headers.get('x-request-id'));
    }
    expect((await app.request('/api/health')).status).toBe(200);
  });

  it('answers requests that fail their route schema in the same error shape', async () => {
    const { app, client, keys } = await setup();
    const badQuery = await client.api.batches.$get({ query: { limit: '0' } }, bearer(keys.alpha));
    expect(badQuery.status).toBe(400);
    const body = (await badQuery.json()) as { error: { code: string; message: string; requestId: string } };
    expect(body.error).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/^limit: /) });
    expect(body.error.requestId).toBe(badQuery.headers.get('x-request-id'));
    const badKey = await upload(client, keys.alpha, form(['a.txt', 'x']), 'no spaces allowed');
    expect(badKey.status).toBe(400);
    expect(((await badKey.json()) as { error: { message: string } }).error.message).toMatch(/^idempotency-key: /);
    // An id outside the one id pattern names nothing: 404, like a missing batch.
    const badId = await client.api.batches[':batchId'].$get({ param: { batchId: 'not/an*id' } }, bearer(keys.alpha));
    expect(badId.status).toBe(404);
    expect(((await badId.json()) as { error: { code: string } }).error.code).toBe('not_found');
    const notJson = await app.request('/api/search', { method: 'POST', headers: { authorization: `Bearer ${keys.alpha}`, 'content-type': 'application/json' }, body: '{"query":' });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: { code: string } }).error.code).toBe('bad_request');
    const text = await app.request('/api/search', { method: 'POST', headers: { authorization: `Bearer ${keys.alpha}`, 'content-type': 'text/plain' }, body: 'query' });
    expect(text.status).toBe(415);
    expect(((await text.json()) as { error: { code: string } }).error.code).toBe('unsupported_media_type');
  });

  it('accepts good files, lists refused ones, and starts exactly one workflow', async () => {
    const { client, keys, started } = await setup();
    const res = await upload(client, keys.alpha, form(['a.txt', 'alpha text'], ['b.exe', 'MZ'], ['', 'no name']));
    expect(res.status).toBe(202);
    const body = (await res.json()) as { batchId: string; documents: { filename: string; status: string }[]; rejected: { filename: string; code: string }[] };
    expect(body.documents.map((d) => [d.filename, d.status])).toEqual([
      ['a.txt', 'queued'],
      ['unnamed', 'queued'],
    ]);
    expect(body.rejected).toEqual([{ filename: 'b.exe', code: 'type_mismatch', message: 'this is not a document' }]);
    expect(started).toEqual([expect.objectContaining({ tenantId: 'alpha', batchId: body.batchId, documentCount: 2 })]);
  });

  it('answers 4xx with the reason when every file is refused, and 413 for oversize', async () => {
    const { app, client, keys, started } = await setup();
    const auth = { authorization: `Bearer ${keys.alpha}` };
    const mismatch = await upload(client, keys.alpha, form(['x.exe', 'MZ']));
    expect(mismatch.status).toBe(415);
    expect(((await mismatch.json()) as { error: { code: string } }).error.code).toBe('type_mismatch');
    const empty = await upload(client, keys.alpha, form(['e.txt', '']));
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { error: { code: string } }).error.code).toBe('empty_file');
    const big = await upload(client, keys.alpha, form(['big.txt', 'x'.repeat(2048)]));
    expect(big.status).toBe(413);
    const tooMany = await upload(client, keys.alpha, form(['1.txt', '1'], ['2.txt', '2'], ['3.txt', '3'], ['4.txt', '4']));
    expect(tooMany.status).toBe(413);
    const declared = await app.request('/api/batches', {
      method: 'POST',
      body: 'x',
      headers: { ...auth, 'content-type': 'multipart/form-data; boundary=x', 'content-length': String(10 * 1024 * 1024) },
    });
    expect(declared.status).toBe(413);
    expect(started).toEqual([]);
  });

  it('returns the same batch for a retried POST with the same Idempotency-Key', async () => {
    const { client, keys, started } = await setup();
    const post = () => upload(client, keys.alpha, form(['a.txt', 'same']), 'upload-1');
    const first = (await (await post()).json()) as { batchId: string };
    const second = (await (await post()).json()) as { batchId: string };
    expect(second.batchId).toBe(first.batchId);
    expect(started).toHaveLength(1);
  });

  it('starts the run on a replayed POST when the first request died before starting it', async () => {
    const { client, keys, deps, started } = await setup();
    const realStart = deps.temporal.startBatch;
    // The first request stored everything, then the process died before the start reached Temporal.
    deps.temporal.startBatch = () => new Promise(() => {});
    const post = () => upload(client, keys.alpha, form(['a.txt', 'lost start']), 'crash-1');
    void post();
    let batchId: string | undefined;
    for (let i = 0; i < 100 && !batchId; i++) {
      await new Promise((r) => setTimeout(r, 10));
      batchId = (await deps.catalog.findBatchByIdempotencyKey('alpha', 'crash-1'))?.id;
    }
    expect(batchId).toBeDefined();
    expect(started).toHaveLength(0);

    deps.temporal.startBatch = realStart;
    const replay = await post();
    expect(replay.status).toBe(202);
    expect(((await replay.json()) as { batchId: string }).batchId).toBe(batchId);
    expect(started).toEqual([expect.objectContaining({ batchId, documentCount: 1, filenames: ['a.txt'] })]);
    // A third try finds the run started: nothing more is started.
    expect((await post()).status).toBe(202);
    expect(started).toHaveLength(1);
  });

  it("hides one tenant's batch from another", async () => {
    const { app, client, keys } = await setup();
    const created = await upload(client, keys.alpha, form(['a.txt', 'secret']));
    const { batchId } = (await created.json()) as { batchId: string };
    expect((await client.api.batches[':batchId'].$get({ param: { batchId } }, bearer(keys.alpha))).status).toBe(200);
    for (const route of [`/api/batches/${batchId}`, `/api/batches/${batchId}/events`]) {
      const res = await app.request(route, { headers: { authorization: `Bearer ${keys.beta}` } });
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain('a.txt');
    }
  });

  it('re-indexes with an optional, validated body; the run carries the chunk sizes; a failed one shows on the document', async () => {
    const { app, client, keys, catalog, started } = await setup();
    const created = await upload(client, keys.alpha, form(['a.txt', 'alpha text']));
    const { batchId, documents } = (await created.json()) as { batchId: string; documents: { documentId: string }[] };
    const documentId = documents[0].documentId;
    await catalog.updateDocuments('alpha', [{ documentId, status: 'indexed', chunks: 1, errorCode: null, errorMessage: null, attempt: 1, startedAt: 1, finishedAt: 2 }]);
    await catalog.setBatchStatus('alpha', batchId, 'completed', 3);
    const post = (path: string, init: RequestInit = {}) => app.request(path, { method: 'POST', ...init, headers: { authorization: `Bearer ${keys.alpha}`, ...init.headers } });
    const json = (body: unknown) => ({ body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    for (const bad of [{ maxTokens: 1 }, { maxTokens: 100, overlapTokens: 99 }, { overlapTokens: -1 }, { maxTokens: 1.5 }, { chunkSize: 100 }]) {
      const res = await post(`/api/documents/${documentId}/reindex`, json(bad));
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('bad_request');
    }
    expect((await post(`/api/batches/${batchId}/reindex`, { body: 'maxTokens=100', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    expect(started).toHaveLength(1);
    const res = await client.api.documents[':documentId'].reindex.$post({ param: { documentId }, json: { maxTokens: 100, overlapTokens: 10 } }, bearer(keys.alpha));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ batchId, run: 2, documentIds: [documentId] });
    expect(started.at(-1)).toMatchObject({ batchId, run: 2, reindex: { maxTokens: 100, overlapTokens: 10 } });
    // Its new version fails: the document answers as indexed at version 1, and says why version 2 did not complete.
    await catalog.recordReindexFailures('alpha', [{ documentId, code: 'embedding_rejected', message: 'The model refused the text.' }]);
    const detail = await app.request(`/api/documents/${documentId}`, { headers: { authorization: `Bearer ${keys.alpha}` } });
    expect(await detail.json()).toMatchObject({
      status: 'indexed',
      version: 1,
      error: null,
      lastReindexFailure: { code: 'embedding_rejected', message: 'The model refused the text.', version: 2, at: expect.any(String) },
    });
    // No body at all: the configured sizes.
    await catalog.setBatchStatus('alpha', batchId, 'completed', 4);
    await catalog.settleVersions('alpha', [documentId]);
    const again = await post(`/api/batches/${batchId}/reindex`);
    expect(again.status).toBe(202);
    expect(started.at(-1)).toMatchObject({ batchId, run: 3, reindex: {} });
    for (const route of [`/api/batches/${batchId}/reindex`, `/api/documents/${documentId}/reindex`]) {
      const other = await app.request(route, { method: 'POST', headers: { authorization: `Bearer ${keys.beta}` } });
      expect(other.status, route).toBe(404);
      expect(await other.text()).not.toContain('a.txt');
    }
  });

  it('keeps a batch Temporal refused to start retryable: 503, documents cancelled with the reason, retry starts it', async () => {
    const { client, keys, deps, started } = await setup();
    const realStart = deps.temporal.startBatch;
    deps.temporal.startBatch = async () => {
      throw new Error('connection refused');
    };
    const res = await upload(client, keys.alpha, form(['a.txt', 'alpha text']));
    expect(res.status).toBe(503);
    const [batch] = await deps.catalog.listBatches('alpha', { limit: 1, offset: 0 });
    expect(batch.status).toBe('failed');
    const [doc] = await deps.catalog.listBatchDocuments('alpha', batch.id, 0, 10);
    expect(doc).toMatchObject({ status: 'cancelled', errorCode: 'cancelled' });
    expect(doc.errorMessage).toMatch(/Temporal was unavailable/);

    deps.temporal.startBatch = realStart;
    const retry = await client.api.batches[':batchId'].retry.$post({ param: { batchId: batch.id } }, bearer(keys.alpha));
    expect(retry.status).toBe(202);
    expect(await retry.json()).toMatchObject({ batchId: batch.id, run: 2, documentIds: [doc.id] });
    expect(started.at(-1)).toMatchObject({ batchId: batch.id, run: 2 });
  });

  it("streams a snapshot, then only what changed, then done with the catalog's final state", async () => {
    const { client, keys, progress, catalog } = await setup();
    const created = await upload(client, keys.alpha, form(['a.txt', 'hello'], ['b.txt', 'world']));
    const { batchId, documents } = (await created.json()) as { batchId: string; documents: { documentId: string }[] };
    const [a, b] = documents.map((d) => d.documentId);
    const doc = (documentId: string, status: 'parsing' | 'indexed', chunks: number) => ({
      documentId,
      status,
      chunks,
      chunksTotal: chunks || null,
      attempt: 1,
      error: null,
      startedAt: 1,
      finishedAt: null,
    });
    progress.set(batchId, {
      status: 'running',
      seq: 1,
      shardCount: 1,
      finishedShards: [{ shardIndex: 0, documents: [doc(a, 'parsing', 0), doc(b, 'parsing', 0)], seq: 2 }],
      runningShards: [],
      cancelRequested: false,
    });
    setTimeout(() => {
      progress.set(batchId, {
        status: 'completed',
        seq: 3,
        shardCount: 1,
        finishedShards: [{ shardIndex: 0, documents: [doc(a, 'indexed', 2), doc(b, 'parsing', 0)], seq: 5 }],
        runningShards: [],
        cancelRequested: false,
      });
    }, 50);
    // The run's last step records the outcome a moment after the run reports it.
    setTimeout(() => {
      void catalog
        .updateDocuments('alpha', [
          { documentId: a, status: 'indexed', chunks: 2, errorCode: null, errorMessage: null, attempt: 1, startedAt: 1, finishedAt: 2 },
          { documentId: b, status: 'indexed', chunks: 1, errorCode: null, errorMessage: null, attempt: 1, startedAt: 1, finishedAt: 2 },
        ])
        .then(() => catalog.setBatchStatus('alpha', batchId, 'completed', 12));
    }, 150);
    const res = await client.api.batches[':batchId'].events.$get({ param: { batchId }, header: {} }, bearer(keys.alpha));
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = await res.text();
    const frames = text
      .split('\n\n')
      .filter(Boolean)
      .map((raw) => Object.fromEntries(raw.split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)])));
    expect(frames.map((f) => [f.event, f.id])).toEqual([
      ['snapshot', '3'],
      ['progress', '8'],
      ['done', '12'],
    ]);
    const snapshot = JSON.parse(frames[0].data) as BatchView;
    expect(snapshot.documents.map((d) => [d.filename, d.status])).toEqual([
      ['a.txt', 'parsing'],
      ['b.txt', 'parsing'],
    ]);
    // Only the document that changed, complete; until the catalog has the outcome the batch still counts as running.
    const delta = JSON.parse(frames[1].data) as BatchDelta;
    expect(delta).toMatchObject({ status: 'running', seq: 8, documents: [{ documentId: a, filename: 'a.txt', status: 'indexed', chunks: 2 }] });
    expect(delta.documents).toHaveLength(1);
    // The end: what differs from the catalog's record, so the client ends with exactly the catalog's state.
    const done = JSON.parse(frames[2].data) as BatchDelta;
    expect(done.status).toBe('completed');
    const final = applyBatchDelta(applyBatchDelta(snapshot, delta), done);
    const fromCatalog = (await (await client.api.batches[':batchId'].$get({ param: { batchId } }, bearer(keys.alpha))).json()) as BatchView;
    expect(final).toEqual(fromCatalog);
  });

  it('never settles on a read; cancel and retry settle a run that ended behind the catalog first', async () => {
    const settledIds: string[] = [];
    const { client, keys, catalog } = await createTestApp({
      // What the real settler does for a terminated run: its open documents end cancelled.
      settleEndedRun: async (batch) => {
        settledIds.push(batch.id);
        await catalog.cancelOpenDocuments(batch.tenantId, batch.id, batch.currentRun, 'The run was terminated in Temporal.');
        await catalog.setBatchStatus(batch.tenantId, batch.id, 'cancelled');
      },
    });
    const { batchId } = (await (await upload(client, keys.alpha, form(['a.txt', 'terminated']))).json()) as { batchId: string };
    const param = { param: { batchId } };
    expect(((await (await client.api.batches[':batchId'].$get(param, bearer(keys.alpha))).json()) as { status: string }).status).toBe('running');
    expect(settledIds).toEqual([]);
    expect((await catalog.getBatch('alpha', batchId))?.status).toBe('running');

    const cancel = await client.api.batches[':batchId'].cancel.$post(param, bearer(keys.alpha));
    expect(cancel.status).toBe(409);
    expect(settledIds).toEqual([batchId]);
    const retry = await client.api.batches[':batchId'].retry.$post(param, bearer(keys.alpha));
    expect(retry.status).toBe(202);
    expect(await retry.json()).toMatchObject({ batchId, run: 2 });
  });
});
