import type { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { ActivityInboundCallsInterceptor } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import type { IndexOutput, PrepareOutput } from '../activities/contracts.js';
import { classified } from '../activities/failures.js';
import { DocumentError } from '../core/formats.js';
import { createJsonLogger } from '../core/logger.js';
import { failureCode, observeActivities, stepName, type ActivityMetrics } from './activity-metrics.js';

function recorder() {
  const steps: { step: string; code: string | null }[] = [];
  const failed: { step: string; code: string }[] = [];
  const outcomes: string[] = [];
  const metrics: ActivityMetrics = {
    stepFinished: (step, seconds, code) => {
      expect(seconds).toBeGreaterThanOrEqual(0);
      steps.push({ step, code });
    },
    stepFailed: (step, code) => failed.push({ step, code }),
    documentsFinished: (list) => list.forEach((o) => outcomes.push(o.status)),
  };
  const lines: Record<string, unknown>[] = [];
  const logger = createJsonLogger({ level: 'debug', write: (l) => lines.push(JSON.parse(l)) });
  return { metrics, logger, steps, failed, outcomes, lines };
}

/** Runs `body` as activity `activityType` through the interceptor the worker installs. */
function run(r: ReturnType<typeof recorder>, activityType: string, input: unknown, body: () => Promise<unknown>, attempt = 1) {
  const ctx = { info: { activityType, attempt, workflowExecution: { workflowId: 'ingest-acme-b1-shard-0', runId: 'run-1' } } } as unknown as Context;
  const inbound = observeActivities(r)(ctx).inbound as Required<ActivityInboundCallsInterceptor>;
  return inbound.execute({ args: [input], headers: {} }, () => body());
}

describe('activity metrics and logs from the worker interceptor', () => {
  it('times every attempt, with the reason code of a failed one, and rethrows the same failure', async () => {
    const r = recorder();
    const err = await run(r, 'parseDocument', { tenantId: 'acme', batchId: 'b1', documentId: 'd1' }, () =>
      classified(() => Promise.reject(new DocumentError('encrypted', 'password protected'))),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).type).toBe('encrypted');
    await run(r, 'indexChunks', { tenantId: 'acme', batchId: 'b1', items: [] }, async () => ({ items: [] }));
    expect(r.steps).toEqual([
      { step: 'parse', code: 'encrypted' },
      { step: 'index', code: null },
    ]);
    expect(r.lines.find((l) => l.msg === 'activity failed')).toMatchObject({ level: 'warn', step: 'parse', code: 'encrypted', batchId: 'b1', documentId: 'd1', tenantId: 'acme' });
  });

  it('counts the documents a group or pack reports failed, under the step they failed at', async () => {
    const r = recorder();
    const prepared: PrepareOutput = {
      documents: [
        { documentId: 'd1', ok: true, chunksKey: 'k', chunkCount: 2 },
        { documentId: 'd2', ok: false, failure: { step: 'parse', code: 'corrupt', message: 'bad xref', retryable: false } },
        { documentId: 'd3', ok: false, failure: { step: 'chunk', code: 'no_extractable_text', message: 'empty', retryable: false } },
      ],
    };
    const indexed: IndexOutput = { items: [{ documentId: 'd1', start: 0, ok: false, failure: { step: 'embed', code: 'embedding_rejected', message: '400', retryable: false } }] };
    await run(r, 'prepareDocuments', { documents: [1, 2, 3] }, async () => prepared);
    await run(r, 'indexChunks', { items: [1] }, async () => indexed);
    expect(r.steps).toEqual([
      { step: 'prepare', code: null },
      { step: 'index', code: null },
    ]);
    expect(r.failed).toEqual([
      { step: 'parse', code: 'corrupt' },
      { step: 'chunk', code: 'no_extractable_text' },
      { step: 'embed', code: 'embedding_rejected' },
    ]);
    expect(r.lines.find((l) => l.activity === 'prepareDocuments')).toMatchObject({ documentCount: 3 });
  });

  it('counts document outcomes only after recordOutcomes succeeded', async () => {
    const r = recorder();
    const input = {
      tenantId: 'acme',
      batchId: 'b1',
      outcomes: [
        { documentId: 'd1', status: 'indexed' as const, chunks: 3, error: null, attempt: 1, startedAt: null, finishedAt: null },
        { documentId: 'd2', status: 'failed' as const, chunks: 0, error: { code: 'corrupt' as const, message: 'x' }, attempt: 1, startedAt: null, finishedAt: null },
      ],
    };
    await expect(run(r, 'recordOutcomes', input, () => Promise.reject(new Error('catalog busy')))).rejects.toThrow('catalog busy');
    expect(r.outcomes).toEqual([]);
    await run(r, 'recordOutcomes', input, async () => undefined);
    expect(r.outcomes).toEqual(['indexed', 'failed']);
    expect(r.steps).toEqual([
      { step: 'record_outcomes', code: 'internal_error' },
      { step: 'record_outcomes', code: null },
    ]);
  });

  it('logs the workflow, activity and attempt from the activity context', async () => {
    const r = recorder();
    await run(r, 'prepareDocuments', { tenantId: 'acme', batchId: 'b1', documents: [] }, async () => ({ documents: [] }), 3);
    expect(r.lines[0]).toMatchObject({
      msg: 'activity completed',
      activity: 'prepareDocuments',
      attempt: 3,
      step: 'prepare',
      workflowId: 'ingest-acme-b1-shard-0',
      runId: 'run-1',
    });
  });

  it('names pipeline steps briefly and every other activity by its name in snake_case', () => {
    expect(['prepareDocuments', 'indexChunks', 'parseDocument', 'chunkDocument', 'embedChunks', 'upsertChunks'].map(stepName)).toEqual([
      'prepare',
      'index',
      'parse',
      'chunk',
      'embed',
      'upsert',
    ]);
    expect(stepName('removeDocumentVectors')).toBe('remove_document_vectors');
  });

  it('classifies failures like the workflow does', () => {
    expect(failureCode(new DocumentError('too_many_pages', 'x'))).toBe('too_many_pages');
    expect(failureCode(ApplicationFailure.create({ type: 'timeout', message: 'x' }))).toBe('timeout');
    expect(failureCode(ApplicationFailure.create({ type: 'SomethingElse', message: 'x' }))).toBe('internal_error');
    expect(failureCode(new CancelledFailure('cancelled'))).toBe('cancelled');
    expect(failureCode(new Error('socket hang up'))).toBe('internal_error');
  });
});
