/**
 * Metrics and logs for activities, through the worker's activity inbound interceptor: every
 * attempt of every activity (local ones included) is timed and classified from the outside, and
 * a log line carries the workflow, activity, attempt, batch and document ids. The activity
 * bodies stay free of observability code.
 *
 * Grouped steps report each document's own failure in their result rather than by throwing, so
 * those failures are counted from the result, under the step that failed (parse, chunk, embed,
 * upsert); documents' terminal outcomes are counted once the catalog write succeeded.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { DocumentError, REASON_CODES, type ReasonCode } from '../core/formats.js';
import type { LogFields, Logger } from '../core/logger.js';
import type { DocumentOutcome, IndexActivities, IndexOutput, ParseActivities, PrepareOutput } from '../activities/contracts.js';

/**
 * Where activity measurements go; runtime/metrics.ts implements it with Prometheus metrics.
 * No tenant is ever passed: per-tenant series would grow without bound and reveal tenants.
 */
export interface ActivityMetrics {
  /** One finished attempt of an activity; `failureCode` is null when it succeeded. */
  stepFinished(step: string, seconds: number, failureCode: ReasonCode | null): void;
  /** One document failed at `step` inside an activity that itself succeeded. */
  stepFailed(step: string, code: ReasonCode): void;
  /** Terminal outcomes written to the catalog: each document is reported once per run. */
  documentsFinished(outcomes: readonly Pick<DocumentOutcome, 'status' | 'error'>[]): void;
}

export interface ActivityObservers {
  metrics?: ActivityMetrics;
  logger?: Logger;
}

/** Metric label of each activity; the ones not listed use their name in snake_case. */
export const STEP_NAMES: Partial<Record<keyof IndexActivities | keyof ParseActivities, string>> = {
  prepareDocuments: 'prepare',
  indexChunks: 'index',
  parseDocument: 'parse',
  chunkDocument: 'chunk',
  embedChunks: 'embed',
  upsertChunks: 'upsert',
};

/** `removeDocumentVectors` → `remove_document_vectors`: a bounded label, one per activity. */
export function stepName(activity: string): string {
  return STEP_NAMES[activity as keyof typeof STEP_NAMES] ?? activity.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

const isReasonCode = (value: unknown): value is ReasonCode => (REASON_CODES as readonly unknown[]).includes(value);

/** The reason code of a failed attempt, the same way workflows/failures.ts classifies it. */
export function failureCode(err: unknown): ReasonCode {
  if (err instanceof DocumentError) return err.code;
  if (err instanceof ApplicationFailure && isReasonCode(err.type)) return err.type;
  if (err instanceof CancelledFailure || (err instanceof Error && err.name === 'AbortError')) return 'cancelled';
  return 'internal_error';
}

/** Ids worth logging from an activity input; never text, keys of blobs, or the tenant's data. */
function inputIds(input: unknown): LogFields {
  const i = (input ?? {}) as Record<string, unknown>;
  const out: LogFields = {};
  for (const k of ['tenantId', 'batchId', 'documentId', 'run', 'start', 'end'] as const) {
    if (typeof i[k] === 'string' || typeof i[k] === 'number') out[k] = i[k];
  }
  for (const k of ['documentIds', 'outcomes', 'documents', 'items'] as const) {
    if (Array.isArray(i[k])) out.documentCount = (i[k] as unknown[]).length;
  }
  return out;
}

/** Per-document failures a grouped step reported in its result. */
function failuresInResult(activity: string, result: unknown): { step: string; code: ReasonCode }[] {
  if (activity === 'prepareDocuments') {
    return (result as PrepareOutput).documents.flatMap((d) => (d.ok ? [] : [d.failure]));
  }
  if (activity === 'indexChunks') return (result as IndexOutput).items.flatMap((r) => (r.ok ? [] : [r.failure]));
  return [];
}

/** The interceptor factory a worker installs: `interceptors: { activity: [observeActivities(...)] }`. */
export function observeActivities(observers: ActivityObservers): ActivityInterceptorsFactory {
  const { metrics, logger } = observers;
  return (ctx: Context) => ({
    inbound: {
      async execute(input, next) {
        const info = ctx.info;
        const step = stepName(info.activityType);
        const log = logger?.child({
          step,
          workflowId: info.workflowExecution?.workflowId,
          runId: info.workflowExecution?.runId,
          activity: info.activityType,
          attempt: info.attempt,
          ...inputIds(input.args[0]),
        });
        const started = performance.now();
        try {
          const result = await next(input);
          const seconds = (performance.now() - started) / 1000;
          metrics?.stepFinished(step, seconds, null);
          for (const failure of failuresInResult(info.activityType, result)) metrics?.stepFailed(failure.step, failure.code);
          // Counted only after the catalog write succeeded, so a failed attempt counts nothing.
          if (info.activityType === 'recordOutcomes') metrics?.documentsFinished((input.args[0] as { outcomes: DocumentOutcome[] }).outcomes);
          log?.debug('activity completed', { ms: Math.round(seconds * 1000) });
          return result;
        } catch (err) {
          const seconds = (performance.now() - started) / 1000;
          const code = failureCode(err);
          metrics?.stepFinished(step, seconds, code);
          log?.warn('activity failed', { ms: Math.round(seconds * 1000), code, error: err });
          throw err;
        }
      },
    },
  });
}
