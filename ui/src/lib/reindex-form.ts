/**
 * The re-index form of the document and batch pages, kept apart from the pages so it can be
 * tested alone: the inputs' limits and the request body, both taken from the shared contract
 * schema, so the form refuses exactly what the API would refuse, and says why in the person's
 * language; and which of the API's refusals the pages put in their own words.
 */
import type { z } from 'zod';
import { ReindexRequestSchema, type BatchView, type DocumentDetail, type ReindexRequest } from '../../../core/contracts.js';
import { isTerminalBatch } from '../../../core/progress.js';
import { ApiRequestError } from './api.js';

function bounds(schema: z.ZodNumber): { min: number; max: number } {
  // The schema sets both bounds; a missing one would be a contract change this build must notice.
  if (schema.minValue === null || schema.maxValue === null) throw new Error('the re-index contract lost its bounds');
  return { min: schema.minValue, max: schema.maxValue };
}

/** What the API accepts for each chunking setting, in estimated tokens. */
export const REINDEX_LIMITS = {
  maxTokens: bounds(ReindexRequestSchema.shape.maxTokens.unwrap()),
  overlapTokens: bounds(ReindexRequestSchema.shape.overlapTokens.unwrap()),
} as const;

/** Why the form cannot be sent; the page turns each into a sentence. */
export type ReindexFormProblem = 'maxTokens' | 'overlapTokens' | 'overlapTooLarge';

/**
 * The request body from the two inputs (a number input gives null when empty); an empty input
 * is left out, so the API uses the configured size.
 */
export function reindexRequest(
  maxTokens: number | null | undefined,
  overlapTokens: number | null | undefined,
): { ok: true; body: ReindexRequest } | { ok: false; problem: ReindexFormProblem } {
  const body: Record<string, number> = {};
  if (maxTokens !== null && maxTokens !== undefined) body.maxTokens = maxTokens;
  if (overlapTokens !== null && overlapTokens !== undefined) body.overlapTokens = overlapTokens;
  const parsed = ReindexRequestSchema.safeParse(body);
  if (parsed.success) return { ok: true, body: parsed.data };
  const issue = parsed.error.issues[0];
  if (issue?.path[0] === 'maxTokens') return { ok: false, problem: 'maxTokens' };
  // The overlap's own range is checked first; the cross-field rule only applies to a valid one.
  return { ok: false, problem: issue?.code === 'custom' ? 'overlapTooLarge' : 'overlapTokens' };
}

/**
 * Whether the re-index run has ended, from its batch's live view: `view` must be of the run the
 * re-index started, not the earlier run the stream may still have shown when it was asked for (a
 * batch's workflow id differs from run to run).
 */
export function reindexEnded(view: BatchView | null, earlierWorkflowId: string | null): boolean {
  return view !== null && view.workflowId !== earlierWorkflowId && isTerminalBatch(view.status);
}

/** Why a document's new version did not complete, as its record keeps it. */
export type ReindexFailure = NonNullable<DocumentDetail['lastReindexFailure']>;

/**
 * How a document's re-index turned out, from its record read again once the run ended. A
 * document whose new version failed or was cancelled stays `indexed` at its old version; the
 * record says so in `lastReindexFailure`, with why. Every re-index run that ends either makes
 * the new version active or records that failure, so the record alone tells. A failure of an
 * earlier re-index (the one the record showed before this run started) is not this run's: each
 * run builds a version never tried before.
 */
export function reindexOutcome(before: Pick<DocumentDetail, 'lastReindexFailure'>, after: DocumentDetail): { indexed: boolean; failure: ReindexFailure | null } {
  const recorded = after.lastReindexFailure;
  const failure = recorded !== null && recorded.version !== before.lastReindexFailure?.version ? recorded : null;
  return { indexed: failure === null && after.status === 'indexed', failure };
}

/**
 * Whether a batch can be re-indexed as a whole: it has ended (the API refuses a running batch)
 * and has a document of its own that is indexed (duplicates share another document's vectors).
 */
export function batchReindexable(view: BatchView | null): boolean {
  if (!view || !isTerminalBatch(view.status)) return false;
  return view.documents.some((d) => d.status === 'indexed' && d.duplicateOf === null);
}

/** An API refusal of a re-index that the pages explain in their own words. */
export type ReindexRefusal = 'running' | 'notIndexed' | 'nothingToReindex' | 'unavailable';

/** The refusal among the API's error codes, or null for any other error (shown as the server put it). */
export function reindexRefusal(err: unknown): ReindexRefusal | null {
  if (!(err instanceof ApiRequestError)) return null;
  switch (err.code) {
    case 'batch_running':
      return 'running';
    case 'not_indexed':
      return 'notIndexed';
    case 'nothing_to_reindex':
      return 'nothingToReindex';
    case 'temporal_unavailable':
      return 'unavailable';
    default:
      return null;
  }
}
