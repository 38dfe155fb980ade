import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BatchRecord, Catalog, DocumentUpdate } from '../adapters/catalog.js';
import { createSqliteCatalog } from '../adapters/sqlite-catalog.js';
import { applyBatchDelta, BatchDeltaSchema, type BatchDelta, type BatchView } from '../core/contracts.js';
import type { DocumentProgress } from '../core/progress.js';
import { readSseReconnecting } from '../test/sse-client.js';
import type { BatchChanges, ShardChanges } from '../workflows/definitions.js';
import { MAX_FRAME_BYTES } from './progress-frames.js';
import { createProgressHubs, streamProgress, type ProgressFrame, type ProgressWatch } from './progress-hub.js';
import { readBatchView } from './progress.js';
import type { TemporalGateway } from './temporal-gateway.js';

const POLL_MS = 100;

/** A run with one running shard whose documents the test moves; answers "changes since" like the workflows. */
function fakeRun(documentIds: string[]) {
  let shardSeq = 1;
  const changedAt = new Map(documentIds.map((id) => [id, 1]));
  const docs = new Map<string, DocumentProgress>(
    documentIds.map((id) => [id, { documentId: id, status: 'queued', chunks: 0, chunksTotal: null, attempt: 0, error: null, startedAt: null, finishedAt: null }]),
  );
  const calls = { batch: 0, shard: 0 };
  const gateway: TemporalGateway = {
    startBatch: async () => 'unused',
    cancelBatch: async () => undefined,
    startModelSwitch: async () => null,
    modelSwitch: async () => null,
    cancelModelSwitch: async () => false,
    health: async () => ({ ok: true, detail: 'fake' }),
    async batchChanges(): Promise<BatchChanges> {
      calls.batch++;
      return { status: 'running', seq: 2, shardCount: 1, runningShards: [{ shardIndex: 0, workflowId: 'run-shard-0' }], finishedShards: [], cancelRequested: false };
    },
    async shardChanges(_workflowId, sinceSeq): Promise<ShardChanges> {
      calls.shard++;
      return { shardIndex: 0, seq: shardSeq, documents: [...docs.values()].filter((d) => changedAt.get(d.documentId)! > sinceSeq) };
    },
  };
  return {
    gateway,
    calls,
    move(id: string, change: Partial<DocumentProgress>) {
      shardSeq++;
      docs.set(id, { ...docs.get(id)!, ...change });
      changedAt.set(id, shardSeq);
    },
  };
}

/** The catalog with every write refused: the progress reader must only read. */
function readOnly(catalog: Catalog): Catalog {
  const writes = new Set(['createBatch', 'setBatchStatus', 'updateDocuments', 'cancelOpenDocuments', 'startRetry', 'deleteDocument', 'ensureTenant', 'addApiKey', 'revokeApiKeys']);
  return new Proxy(catalog, {
    get(target, prop, receiver) {
      if (typeof prop === 'string' && writes.has(prop)) return () => Promise.reject(new Error(`the progress reader wrote to the catalog (${prop})`));
      return Reflect.get(target, prop, receiver);
    },
  });
}

async function setUp(count = 3, maxFrameBytes?: number) {
  const catalog = createSqliteCatalog(':memory:');
  await catalog.ensureTenant('t');
  const documents = Array.from({ length: count }, (_, i) => ({
    id: `d${i}`,
    filename: `f${i}.txt`,
    format: 'txt',
    contentHash: `h${i}`,
    size: 1,
    blobKey: `k${i}`,
    duplicateOf: null,
  }));
  await catalog.createBatch({ id: 'b', tenantId: 't', workflowId: 'run', documentCount: count, idempotencyKey: null }, documents);
  const batch = (await catalog.getBatch('t', 'b')) as BatchRecord;
  const run = fakeRun(documents.map((d) => d.id));
  const hubs = createProgressHubs({ gateway: run.gateway, catalog: readOnly(catalog), pollMs: POLL_MS, maxFrameBytes });
  return { catalog, batch, run, hubs };
}

/** The frames each watch gives next, after one poll interval; `idleMs` is how long a watch waits for news. */
async function nextAll(watches: ProgressWatch[], idleMs = 60_000): Promise<ProgressFrame[][]> {
  const frames = watches.map((w) => w.next(idleMs));
  await vi.advanceTimersByTimeAsync(POLL_MS);
  return (await Promise.all(frames)).map((f) => f ?? []);
}

const next = async (watch: ProgressWatch, idleMs?: number) => (await nextAll([watch], idleMs))[0];

/** A client's view after applying `frames` in order, as the web app does (a snapshot replaces, a delta applies). */
function applyFrames(view: BatchView | null, frames: readonly { event: string; data: string }[]): BatchView {
  for (const frame of frames) {
    if (frame.event === 'snapshot') view = JSON.parse(frame.data) as BatchView;
    else view = applyBatchDelta(view!, BatchDeltaSchema.parse(JSON.parse(frame.data)));
  }
  return view!;
}

/** Every document of the batch ended in the catalog, with an error long enough to make the rows weigh. */
async function endInCatalog(catalog: Catalog, count: number, finalSeq: number): Promise<void> {
  const updates: DocumentUpdate[] = Array.from({ length: count }, (_, i) => ({
    documentId: `d${i}`,
    status: i % 2 === 0 ? 'indexed' : 'failed',
    chunks: i % 2 === 0 ? 3 : 0,
    errorCode: i % 2 === 0 ? null : 'corrupt',
    errorMessage: i % 2 === 0 ? null : `The PDF structure is broken: no cross-reference table at offset ${i}`,
    attempt: 1,
    startedAt: 10,
    finishedAt: 20 + i,
  }));
  await catalog.updateDocuments('t', updates);
  await catalog.setBatchStatus('t', 'b', 'completed_with_errors', finalSeq);
}

describe('the progress hub', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('reads once per interval for a batch, however many watch it, and sends each a snapshot then only what changed', async () => {
    const { batch, run, hubs } = await setUp();
    const watches = Array.from({ length: 10 }, () => hubs.watch(batch, -1));
    const first = await nextAll(watches);
    for (const frames of first) expect(frames.map((f) => f.event)).toEqual(['snapshot']);
    const snapshot = JSON.parse(first[0][0].data) as BatchView;
    expect(snapshot.documents.map((d) => [d.filename, d.status])).toEqual([
      ['f0.txt', 'queued'],
      ['f1.txt', 'queued'],
      ['f2.txt', 'queued'],
    ]);
    expect(hubs.active()).toBe(1);

    run.move('d1', { status: 'parsing', attempt: 1, startedAt: 5 });
    const callsBefore = { ...run.calls };
    const second = await nextAll(watches);
    // One poll for all ten watchers: one batch query, one query of its running shard.
    expect(run.calls.batch - callsBefore.batch).toBe(1);
    expect(run.calls.shard - callsBefore.shard).toBe(1);
    for (const frames of second) {
      expect(frames.map((f) => f.event)).toEqual(['progress']);
      expect(frames[0].data).toBe(second[0][0].data); // serialized once, shared
    }
    const delta = JSON.parse(second[0][0].data) as BatchDelta;
    expect(delta.documents).toEqual([expect.objectContaining({ documentId: 'd1', filename: 'f1.txt', status: 'parsing', attempt: 1 })]);
    expect(Number(second[0][0].id)).toBeGreaterThan(Number(first[0][0].id));
    for (const w of watches) w.close();
    expect(hubs.active()).toBe(0);
  });

  it('gives a reconnecting client (Last-Event-ID) nothing until the batch moves past it, then a snapshot', async () => {
    const { batch, run, hubs } = await setUp();
    const first = hubs.watch(batch, -1);
    const [snapshot] = await next(first);
    first.close();

    const again = hubs.watch(batch, Number(snapshot.id));
    expect(await next(again, POLL_MS)).toEqual([]); // nothing new: not even the snapshot it already has
    run.move('d0', { status: 'embedding', attempt: 1, chunksTotal: 2 });
    const frames = await next(again);
    expect(frames.map((f) => f.event)).toEqual(['snapshot']);
    expect(Number(frames[0].id)).toBeGreaterThan(Number(snapshot.id));
    expect((JSON.parse(frames[0].data) as BatchView).documents[0]).toMatchObject({ documentId: 'd0', status: 'embedding' });
    again.close();
  });

  it("ends with done, after which a watcher's view is exactly the catalog's record", async () => {
    const { catalog, batch, run, hubs } = await setUp();
    const watch = hubs.watch(batch, -1);
    let view = JSON.parse((await next(watch))[0].data) as BatchView;
    run.move('d0', { status: 'indexed', chunks: 2, chunksTotal: 2, attempt: 1, startedAt: 1, finishedAt: 2 });
    for (const frame of await next(watch)) view = applyBatchDelta(view, JSON.parse(frame.data) as BatchDelta);

    // The run ends; its outcomes are in the catalog (written by the workflow, not by the reader).
    await catalog.updateDocuments('t', [
      { documentId: 'd0', status: 'indexed', chunks: 2, errorCode: null, errorMessage: null, attempt: 1, startedAt: 1, finishedAt: 2 },
      { documentId: 'd1', status: 'indexed', chunks: 1, errorCode: null, errorMessage: null, attempt: 1, startedAt: 1, finishedAt: 3 },
      { documentId: 'd2', status: 'failed', chunks: 0, errorCode: 'corrupt', errorMessage: 'bad xref', attempt: 1, startedAt: 1, finishedAt: 3 },
    ]);
    await catalog.setBatchStatus('t', 'b', 'completed_with_errors', 40);
    const last = await next(watch);
    expect(last.map((f) => [f.event, f.id])).toEqual([['done', '40']]);
    const done = JSON.parse(last[0].data) as BatchDelta;
    expect(done.documents.map((d) => d.documentId).sort()).toEqual(['d1', 'd2']); // d0 was already as recorded
    view = applyBatchDelta(view, done);
    expect(view).toEqual(await readBatchView(run.gateway, catalog, (await catalog.getBatch('t', 'b'))!));
    expect(await watch.next(0)).toBeNull();
    watch.close();
  });

  it('answers a batch that already ended from the catalog alone: snapshot, then done', async () => {
    const { catalog, batch, run, hubs } = await setUp(1);
    await catalog.setBatchStatus('t', 'b', 'cancelled', 7);
    const watch = hubs.watch(batch, -1);
    const frames = await next(watch);
    expect(frames.map((f) => [f.event, f.id])).toEqual([
      ['snapshot', '7'],
      ['done', '7'],
    ]);
    expect(run.calls.batch).toBe(0);
    watch.close();
  });

  it('splits a delta of thousands of documents into frames of at most 48 KiB, each a delta on its own, with the id on the last only', async () => {
    const count = 3_000;
    const { batch, run, hubs } = await setUp(count);
    const watches = [hubs.watch(batch, -1), hubs.watch(batch, -1)];
    const [[snapshot], [other]] = await nextAll(watches);
    expect(other.data).toBe(snapshot.data);
    const before = applyFrames(null, [snapshot]);

    // A whole pack ends between two reads: every document changes at once.
    for (let i = 0; i < count; i++) run.move(`d${i}`, { status: 'indexed', chunks: 2, chunksTotal: 2, attempt: 1, startedAt: 5, finishedAt: 6 + i });
    const [frames, shared] = await nextAll(watches);

    expect(frames.length).toBeGreaterThan(5);
    for (const frame of frames) expect(Buffer.byteLength(frame.data)).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    // Built once for the seq and shared by every watcher in step.
    expect(shared).toHaveLength(frames.length);
    shared.forEach((frame, i) => expect(frame).toBe(frames[i]));

    const last = frames.at(-1)!;
    const lastDelta = JSON.parse(last.data) as BatchDelta;
    expect(last).toMatchObject({ event: 'progress', id: String(lastDelta.seq) });
    expect(lastDelta.seq).toBeGreaterThan(Number(snapshot.id));
    for (const frame of frames.slice(0, -1)) {
      // The leading parts: no id (Last-Event-ID stays the snapshot's), and the seq the client already has.
      expect(frame.event).toBe('progress');
      expect(frame).not.toHaveProperty('id');
      expect(JSON.parse(frame.data)).toMatchObject({ status: 'running', seq: Number(snapshot.id), workflowId: lastDelta.workflowId });
    }

    // Each changed document exactly once, whole, in batch order.
    const sent = frames.flatMap((f) => (JSON.parse(f.data) as BatchDelta).documents);
    expect(sent.map((d) => d.documentId)).toEqual(before.documents.map((d) => d.documentId));
    expect(sent.every((d) => d.status === 'indexed' && d.filename.startsWith('f'))).toBe(true);

    // Applied in order, the parts give what one unsplit delta would, and what a new watcher's snapshot says.
    const view = applyFrames(before, frames);
    expect(view).toEqual(applyBatchDelta(before, { ...lastDelta, documents: sent }));
    const late = hubs.watch(batch, -1);
    expect(view).toEqual(applyFrames(null, await next(late)));
    for (const w of [...watches, late]) w.close();
  });

  it('sends a large done as progress parts without id and then done with the id, ending exactly at the catalog', async () => {
    const count = 2_000;
    const { catalog, batch, run, hubs } = await setUp(count);
    const watch = hubs.watch(batch, -1);
    const [snapshot] = await next(watch);
    let view = applyFrames(null, [snapshot]);

    await endInCatalog(catalog, count, 9_000);
    const frames = await next(watch);
    expect(frames.length).toBeGreaterThan(5);
    expect(frames.map((f) => f.event)).toEqual([...Array<string>(frames.length - 1).fill('progress'), 'done']);
    expect(frames.filter((f) => f.id !== undefined).map((f) => f.id)).toEqual(['9000']);
    for (const frame of frames) {
      expect(Buffer.byteLength(frame.data)).toBeLessThanOrEqual(MAX_FRAME_BYTES);
      view = applyFrames(view, [frame]);
      // The end is announced by the last part only, once every document has arrived.
      expect(view.status).toBe(frame === frames.at(-1) ? 'completed_with_errors' : 'running');
    }
    expect(view).toEqual(await readBatchView(run.gateway, catalog, (await catalog.getBatch('t', 'b'))!));
    expect(await watch.next(0)).toBeNull();
    watch.close();
  });

  it('brings a client cut off mid-split (Last-Event-ID still the previous seq) to exactly the catalog state', async () => {
    const count = 2_000;
    const { catalog, batch, run, hubs } = await setUp(count);
    const watch = hubs.watch(batch, -1);
    const [snapshot] = await next(watch);
    for (let i = 0; i < count; i++) run.move(`d${i}`, { status: 'embedding', attempt: 1, chunksTotal: 4, startedAt: 5 });
    const frames = await next(watch);
    expect(frames.length).toBeGreaterThan(2);

    // The line drops after the first part: the client applied it, and its last id is the snapshot's.
    const partial = applyFrames(null, [snapshot, frames[0]]);
    expect(partial.seq).toBe(Number(snapshot.id));
    watch.close();

    const again = hubs.watch(batch, Number(snapshot.id));
    const resumed = await next(again);
    expect(resumed.map((f) => f.event)).toEqual(['snapshot']);
    expect(Number(resumed[0].id)).toBe(Number(frames.at(-1)!.id));
    let view = applyFrames(partial, resumed);
    expect(view).toEqual(applyFrames(null, [snapshot, ...frames]));

    await endInCatalog(catalog, count, 9_000);
    view = applyFrames(view, await next(again));
    expect(view).toEqual(await readBatchView(run.gateway, catalog, (await catalog.getBatch('t', 'b'))!));
    again.close();
  });
});

describe('the progress stream on the wire', () => {
  it('writes no id line for the leading parts of a split, so an EventSource-like client keeps the previous id and resumes from it', async () => {
    const count = 40;
    const { catalog, batch, run, hubs } = await setUp(count, 2_048);
    const app = new Hono().get('/events', (c) => streamProgress(c, hubs, batch, c.req.header('last-event-id')));
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
    try {
      // Reads until the first part without an id, as a connection cut mid-split would leave it.
      let moved = false;
      const cut = await readSseReconnecting({
        url,
        deadlineMs: 20_000,
        onFrame: (f) => {
          if (f.event !== 'snapshot' || moved) return;
          moved = true;
          for (let i = 0; i < count; i++) run.move(`d${i}`, { status: 'chunking', attempt: 1, startedAt: 5 });
        },
        stopAt: (f) => f.id === null,
      });
      expect(cut.frames.map((f) => [f.event, f.id === null])).toEqual([
        ['snapshot', false],
        ['progress', true],
      ]);
      expect(Buffer.byteLength(cut.frames[1].data)).toBeLessThanOrEqual(2_048);

      // The batch ends meanwhile; the client comes back with the last id it saw, the snapshot's.
      await endInCatalog(catalog, count, 9_000);
      const resumed = await readSseReconnecting({ url, deadlineMs: 20_000, headers: { 'last-event-id': cut.frames[0].id! } });
      expect(resumed.frames.map((f) => [f.event, f.id])).toEqual([
        ['snapshot', '9000'],
        ['done', '9000'],
      ]);
      const view = applyFrames(applyFrames(null, cut.frames), resumed.frames);
      expect(view).toEqual(await readBatchView(run.gateway, catalog, (await catalog.getBatch('t', 'b'))!));
    } finally {
      // Ends the client's idle keep-alive sockets too, which would otherwise hold close() for seconds.
      (server as Server).closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
