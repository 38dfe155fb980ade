import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BatchRecord, Catalog } from '../adapters/catalog.js';
import { createSqliteCatalog } from '../adapters/sqlite-catalog.js';
import { applyBatchDelta, type BatchDelta, type BatchView } from '../core/contracts.js';
import type { DocumentProgress } from '../core/progress.js';
import type { BatchChanges, ShardChanges } from '../workflows/definitions.js';
import { createProgressHubs, type ProgressFrame, type ProgressWatch } from './progress-hub.js';
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

async function setUp(count = 3) {
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
  const hubs = createProgressHubs({ gateway: run.gateway, catalog: readOnly(catalog), pollMs: POLL_MS });
  return { catalog, batch, run, hubs };
}

/** The frames each watch gives next, after one poll interval; `idleMs` is how long a watch waits for news. */
async function nextAll(watches: ProgressWatch[], idleMs = 60_000): Promise<ProgressFrame[][]> {
  const frames = watches.map((w) => w.next(idleMs));
  await vi.advanceTimersByTimeAsync(POLL_MS);
  return (await Promise.all(frames)).map((f) => f ?? []);
}

const next = async (watch: ProgressWatch, idleMs?: number) => (await nextAll([watch], idleMs))[0];

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
});
