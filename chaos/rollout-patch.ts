/**
 * The workflow code change the rolling-deploy scenario ships, kept out of workflows/ so the
 * product's workflows stay exactly as they are: version 2 of every workflow is version 1 with a
 * `patched()` branch in front that records which code started the execution (a memo, a real
 * command in the history). Executions started by version 1 replay through version 2 with the
 * branch skipped; new ones take it. Runs inside the workflow sandbox (bundled by the worker).
 */
import { patched, upsertMemo } from '@temporalio/workflow';

/** The patch id written into histories by version 2. */
export const ROLLOUT_PATCH_ID = 'docflow-chaos-rollout-v2';
/** Memo key and value an execution started by version 2 carries. */
export const ROLLOUT_MEMO = { key: 'deployedCode', value: 'v2' } as const;

/** Version 2 of one workflow function: the patched branch, then the unchanged workflow. */
export function rolledOut<Args extends unknown[], Result>(workflow: (...args: Args) => Promise<Result>): (...args: Args) => Promise<Result> {
  return async (...args: Args) => {
    if (patched(ROLLOUT_PATCH_ID)) upsertMemo({ [ROLLOUT_MEMO.key]: ROLLOUT_MEMO.value });
    return workflow(...args);
  };
}
