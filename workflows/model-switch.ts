/**
 * Moving one tenant to another embedding model without downtime. Vectors of two models cannot
 * share a collection (their sizes and meanings differ), so the switch builds a new index space
 * beside the one serving search:
 * 1. open the space (catalog row 'building', empty collections). From then on every index step
 *    of the tenant writes both spaces (activities/index.ts), so new uploads are not missed;
 * 2. copy: page through the tenant's indexed documents and re-embed their stored chunk texts
 *    into the new space;
 * 3. verify until a pass finds nothing to fix: documents whose active version is incomplete in the
 *    new space are copied again, points the catalog no longer backs are pruned;
 * 4. swap in one catalog write: search, the inspector and reconciliation use the new space;
 * 5. keep the old collections for `retireAfterMs` (index steps that read the spaces before the
 *    swap may still write there), then drop them.
 * A document the new model refuses fails the switch before the swap: the tenant would otherwise
 * lose it from search. Failure or cancellation before the swap drops the new space; the old one
 * never stopped serving. One switch per tenant at a time: the workflow id is the tenant's.
 * History: about three events per page of documents per pass, so a tenant of 100,000 documents
 * stays near 6,000 events.
 */
import { ApplicationFailure, CancellationScope, defineQuery, isCancellation, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { CopyToSpaceOutput, ModelSwitchActivities, OpenedIndexSpace } from '../activities/contracts.js';

/** Copy steps re-embed real text and may meet a busy endpoint: they retry with backoff, heartbeating per slice. */
const steps = proxyActivities<ModelSwitchActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', maximumInterval: '2 minutes', maximumAttempts: 20 },
});

export const MODEL_SWITCH_PAGE = 100;
const MAX_VERIFY_PASSES = 5;
/** Longer than an index step may take to write a pack it began before the swap. */
export const DEFAULT_RETIRE_AFTER_MS = 15 * 60_000;

/** The workflow id of a tenant's switches: Temporal then runs at most one per tenant. */
export const modelSwitchWorkflowId = (tenantId: string) => `embedding-model-${tenantId}`;

export interface ModelSwitchInput {
  tenantId: string;
  model: string;
  /** How long the replaced collections are kept after the swap (default 15 minutes). */
  retireAfterMs?: number;
  /** Documents per copy step (default 100). */
  pageSize?: number;
}

export type ModelSwitchPhase = 'starting' | 'copying' | 'verifying' | 'swapping' | 'retiring' | 'done' | 'failed' | 'cancelled';

export interface ModelSwitchProgress {
  tenantId: string;
  model: string;
  previousModel: string | null;
  generation: number | null;
  previousGeneration: number | null;
  phase: ModelSwitchPhase;
  /** Indexed documents when the switch began. */
  documents: number;
  /** Documents copied by the first pass. */
  copied: number;
  /** Verification passes made so far, and documents they copied again. */
  verifyPasses: number;
  repaired: number;
  /** Whether search already answers from the new space. */
  swapped: boolean;
  /** Documents the new model refused (the latest pass's), each with its reason. */
  failed: CopyToSpaceOutput['failed'];
  error: string | null;
}

export const modelSwitchProgressQuery = defineQuery<ModelSwitchProgress>('modelSwitchProgress');

/** A switch's state before its first step: also what the API answers when it starts one. */
export function startingProgress(tenantId: string, model: string, previousModel: string | null): ModelSwitchProgress {
  return {
    tenantId,
    model,
    previousModel,
    generation: null,
    previousGeneration: null,
    phase: 'starting',
    documents: 0,
    copied: 0,
    verifyPasses: 0,
    repaired: 0,
    swapped: false,
    failed: [],
    error: null,
  };
}

export async function switchEmbeddingModel(input: ModelSwitchInput): Promise<ModelSwitchProgress> {
  const { tenantId, model } = input;
  const pageSize = input.pageSize ?? MODEL_SWITCH_PAGE;
  const progress = startingProgress(tenantId, model, null);
  setHandler(modelSwitchProgressQuery, () => progress);

  /** One pass over every indexed document; returns the documents copied and the refusals. */
  const pass = async (generation: number, verify: boolean, onPage: (page: CopyToSpaceOutput) => void) => {
    const failed: CopyToSpaceOutput['failed'] = [];
    let copied = 0;
    let after: string | null = null;
    do {
      const page: CopyToSpaceOutput = await steps.copyToIndexSpace({ tenantId, generation, after, limit: pageSize, verify });
      copied += page.copied;
      failed.push(...page.failed);
      onPage(page);
      after = page.next;
    } while (after !== null);
    return { copied, failed };
  };

  let opened: OpenedIndexSpace | undefined;
  try {
    opened = await steps.openIndexSpace({ tenantId, model, workflowId: workflowInfo().workflowId });
    const { generation } = opened;
    Object.assign(progress, { generation, previousGeneration: opened.previousGeneration, previousModel: opened.previousModel, documents: opened.documents, phase: 'copying' });
    const first = await pass(generation, false, (page) => {
      progress.copied += page.copied;
      progress.failed.push(...page.failed);
    });
    let failed = first.failed;
    progress.phase = 'verifying';
    for (;;) {
      progress.verifyPasses++;
      const check = await pass(generation, true, (page) => (progress.repaired += page.copied));
      const { removed } = await steps.pruneIndexSpace({ tenantId, generation });
      failed = check.failed;
      progress.failed = failed;
      if (check.copied === 0 && removed === 0) break;
      if (progress.verifyPasses === MAX_VERIFY_PASSES) {
        throw ApplicationFailure.nonRetryable(`the new index was still changing after ${MAX_VERIFY_PASSES} verification passes`, 'SwitchUnsettled');
      }
    }
    if (failed.length > 0) {
      throw ApplicationFailure.nonRetryable(
        `${failed.length} document(s) could not be embedded by ${model}; the tenant stays on ${opened.previousModel}`,
        'DocumentsRefused',
        failed,
      );
    }
    progress.phase = 'swapping';
    await steps.activateIndexSpace({ tenantId, generation });
    progress.swapped = true;
    progress.phase = 'retiring';
    await sleep(input.retireAfterMs ?? DEFAULT_RETIRE_AFTER_MS);
    await steps.dropIndexSpace({ tenantId, generation: opened.previousGeneration });
    progress.phase = 'done';
    return progress;
  } catch (err) {
    progress.phase = isCancellation(err) ? 'cancelled' : 'failed';
    progress.error = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    if (opened) {
      // Before the swap the new space is dropped (the old one never stopped serving); after it,
      // the old one is, at once: nothing reads it any more, and a cancel should not leave it behind.
      const leftover = progress.swapped ? opened.previousGeneration : opened.generation;
      await CancellationScope.nonCancellable(() => steps.dropIndexSpace({ tenantId, generation: leftover }));
    }
    throw err;
  }
}
