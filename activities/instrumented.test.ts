import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { DocumentError } from '../core/formats.js';
import { createJsonLogger } from '../core/logger.js';
import type { IndexActivities, ParseActivities } from './contracts.js';
import { classified } from './failures.js';
import { failureCode, instrumentIndexActivities, instrumentParseActivities, stepName, type ActivityMetrics } from './instrumented.js';

function recorder() {
  const steps: Array<{ step: string; code: string | null }> = [];
  const outcomes: string[] = [];
  const metrics: ActivityMetrics = {
    stepFinished: (step, seconds, code) => {
      expect(seconds).toBeGreaterThanOrEqual(0);
      steps.push({ step, code });
    },
    documentsFinished: (list) => list.forEach((o) => outcomes.push(o.status)),
  };
  const lines: Record<string, unknown>[] = [];
  const logger = createJsonLogger({ level: 'debug', write: (l) => lines.push(JSON.parse(l)) });
  return { metrics, logger, steps, outcomes, lines };
}

const stepInput = { tenantId: 'acme', batchId: 'b1', documentId: 'd1', version: 1 };

describe('instrumented activities', () => {
  it('reports each attempt of a step with its reason code, and rethrows the same failure', async () => {
    const r = recorder();
    const parse: ParseActivities = {
      parseDocument: () => classified(async () => Promise.reject(new DocumentError('encrypted', 'password protected'))),
      chunkDocument: async () => ({ chunksKey: 'k', chunkCount: 3 }),
    };
    const wrapped = instrumentParseActivities(parse, r);
    const err = await wrapped.parseDocument({ ...stepInput, format: 'pdf', blobKey: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).type).toBe('encrypted');
    expect(await wrapped.chunkDocument({ ...stepInput, parsedKey: 'p', groupSize: 128 })).toEqual({ chunksKey: 'k', chunkCount: 3 });
    expect(r.steps).toEqual([
      { step: 'parse', code: 'encrypted' },
      { step: 'chunk', code: null },
    ]);
    expect(r.lines.find((l) => l.msg === 'activity failed')).toMatchObject({ level: 'warn', step: 'parse', code: 'encrypted', batchId: 'b1', documentId: 'd1', tenantId: 'acme' });
  });

  it('counts document outcomes only after recordOutcomes succeeded', async () => {
    const r = recorder();
    let failNext = true;
    const index = {
      recordOutcomes: async () => {
        if (failNext) {
          failNext = false;
          throw new Error('catalog busy');
        }
      },
    } as unknown as IndexActivities;
    const wrapped = instrumentIndexActivities(index, r);
    const input = {
      tenantId: 'acme',
      batchId: 'b1',
      outcomes: [
        { documentId: 'd1', status: 'indexed' as const, chunks: 3, error: null, attempt: 1, startedAt: null, finishedAt: null },
        { documentId: 'd2', status: 'failed' as const, chunks: 0, error: { code: 'corrupt' as const, message: 'x' }, attempt: 1, startedAt: null, finishedAt: null },
      ],
    };
    await expect(wrapped.recordOutcomes(input)).rejects.toThrow('catalog busy');
    expect(r.outcomes).toEqual([]);
    await wrapped.recordOutcomes(input);
    expect(r.outcomes).toEqual(['indexed', 'failed']);
    expect(r.steps).toEqual([
      { step: 'record_outcomes', code: 'internal_error' },
      { step: 'record_outcomes', code: null },
    ]);
  });

  it('logs the workflow, activity and attempt from the activity context', async () => {
    const r = recorder();
    const parse = instrumentParseActivities(
      { parseDocument: async () => ({ parsedKey: 'p', sections: 1, characters: 5 }), chunkDocument: async () => ({ chunksKey: 'k', chunkCount: 1 }) },
      r,
    );
    const env = new MockActivityEnvironment({ attempt: 3, activityType: 'parseDocument' });
    await env.run(parse.parseDocument, { ...stepInput, format: 'txt', blobKey: 'x' });
    expect(r.lines[0]).toMatchObject({ msg: 'activity completed', activity: 'parseDocument', attempt: 3, step: 'parse', documentId: 'd1' });
    expect(typeof r.lines[0].workflowId).toBe('string');
  });

  it('names pipeline steps briefly and every other activity by its name in snake_case', () => {
    expect(['parseDocument', 'chunkDocument', 'embedChunks', 'upsertChunks'].map(stepName)).toEqual(['parse', 'chunk', 'embed', 'upsert']);
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
