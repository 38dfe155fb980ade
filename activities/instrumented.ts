/**
 * Metrics and logs for activities, added from the outside: each activity function is wrapped so
 * its duration, its failure code and (for recordOutcomes) the documents' terminal outcomes are
 * reported, and a log line carries the workflow, activity, attempt, batch and document ids.
 * The activity bodies in ./index.ts stay free of observability code.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { DocumentError, REASON_CODES, type ReasonCode } from '../core/formats.js';
import type { LogFields, Logger } from '../core/logger.js';
import type { DocumentOutcome, IndexActivities, ParseActivities } from './contracts.js';

/**
 * Where activity measurements go; runtime/metrics.ts implements it with Prometheus metrics.
 * No tenant is ever passed: per-tenant series would grow without bound and reveal tenants.
 */
export interface ActivityMetrics {
  /** One finished attempt of a step; `failureCode` is null when it succeeded. */
  stepFinished(step: string, seconds: number, failureCode: ReasonCode | null): void;
  /** Terminal outcomes written to the catalog: each document is reported once per run. */
  documentsFinished(outcomes: readonly Pick<DocumentOutcome, 'status' | 'error'>[]): void;
}

export interface Instrumentation {
  metrics?: ActivityMetrics;
  logger?: Logger;
}

/** Metric label of the pipeline steps; other (bookkeeping) activities use their name in snake_case. */
export const STEP_NAMES: Partial<Record<keyof IndexActivities | keyof ParseActivities, string>> = {
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

/** The reason code of a failed attempt, the same way workflows/retry.ts classifies it. */
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
  if (Array.isArray(i.documentIds)) out.documentCount = i.documentIds.length;
  if (Array.isArray(i.outcomes)) out.documentCount = i.outcomes.length;
  return out;
}

/** The activity's Temporal context, or none when called outside an activity (direct unit calls). */
function activityFields(): LogFields {
  try {
    const info = Context.current().info;
    return { workflowId: info.workflowExecution?.workflowId, runId: info.workflowExecution?.runId, activity: info.activityType, attempt: info.attempt };
  } catch {
    return {};
  }
}

type AnyActivity = (input: never) => Promise<unknown>;

function wrap<F extends AnyActivity>(name: string, fn: F, tools: Instrumentation): F {
  const step = stepName(name);
  const wrapped = async (input: Parameters<F>[0]) => {
    const log = tools.logger?.child({ step, ...activityFields(), ...inputIds(input) });
    const started = performance.now();
    try {
      const result = await fn(input);
      const seconds = (performance.now() - started) / 1000;
      tools.metrics?.stepFinished(step, seconds, null);
      // Counted only after the catalog write succeeded, so a failed attempt counts nothing.
      if (name === 'recordOutcomes') tools.metrics?.documentsFinished((input as unknown as { outcomes: DocumentOutcome[] }).outcomes);
      log?.debug('activity completed', { ms: Math.round(seconds * 1000) });
      return result;
    } catch (err) {
      const seconds = (performance.now() - started) / 1000;
      const code = failureCode(err);
      tools.metrics?.stepFinished(step, seconds, code);
      log?.warn('activity failed', { ms: Math.round(seconds * 1000), code, error: err });
      throw err;
    }
  };
  return wrapped as unknown as F;
}

function wrapAll<T extends object>(activities: T, tools: Instrumentation): T {
  const out = {} as Record<string, unknown>;
  for (const [name, fn] of Object.entries(activities)) {
    out[name] = typeof fn === 'function' ? wrap(name, fn as AnyActivity, tools) : fn;
  }
  return out as T;
}

/** The parse pool's activities with durations, failures and logs reported. */
export function instrumentParseActivities(activities: ParseActivities, tools: Instrumentation): ParseActivities {
  return wrapAll(activities, tools);
}

/** The index pool's activities with durations, failures, document outcomes and logs reported. */
export function instrumentIndexActivities(activities: IndexActivities, tools: Instrumentation): IndexActivities {
  return wrapAll(activities, tools);
}
