/**
 * How a batch runs its shards: `inFlight` lanes take the next shard until none is left or the
 * batch is cancelled, each started with the same child options. Shared by the batch workflow
 * and the one kept for older runs, so both issue the same commands in the same order.
 */
import { CancellationScope, ParentClosePolicy, isCancellation, type ChildWorkflowOptions } from '@temporalio/workflow';
import { BATCH_KEY, TENANT_KEY } from '../temporal/search-attribute-keys.js';
import { PARSE_QUEUE, shardWorkflowId, type FanOutOptions, type IngestBatchInput, type IngestShardInput } from './definitions.js';

/** How a batch starts shard `shardIndex` of run `run` as a child workflow. */
export function shardChild(
  input: IngestBatchInput,
  fanOut: FanOutOptions,
  shardIndex: number,
  run: number,
): Omit<ChildWorkflowOptions, 'typeInfo'> & { workflowId: string; args: [IngestShardInput] } {
  return {
    workflowId: shardWorkflowId(input.tenantId, input.batchId, shardIndex, run),
    args: [
      {
        tenantId: input.tenantId,
        batchId: input.batchId,
        shardIndex,
        offset: shardIndex * fanOut.shardSize,
        limit: fanOut.shardSize,
        fanOut,
        parseQueue: input.parseQueue ?? PARSE_QUEUE,
        run,
        // Only when set, so the shards of every other run are started exactly as before.
        ...(input.reindex ? { reindex: input.reindex } : {}),
      },
    ],
    // Shards carry tenant and batch too, so one search-attribute query lists a whole batch.
    typedSearchAttributes: [
      { key: TENANT_KEY, value: input.tenantId },
      { key: BATCH_KEY, value: input.batchId },
    ],
    // A cancelled batch cancels its shards, which clean up their partial vectors.
    parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
  };
}

/** Runs every shard; resolves with whether the batch was cancelled (a shard's own failure is rethrown). */
export async function runShardLanes(shardCount: number, inFlight: number, runShard: (shardIndex: number) => Promise<void>): Promise<{ cancelled: boolean }> {
  const isCancelled = () => CancellationScope.current().consideredCancelled;
  let nextShard = 0;
  const lane = async () => {
    while (nextShard < shardCount && !isCancelled()) await runShard(nextShard++);
  };
  // allSettled, not all: on cancel every running shard must finish its own clean-up first.
  const lanes = await Promise.allSettled(Array.from({ length: Math.min(inFlight, shardCount) }, lane));
  let cancelled = isCancelled();
  for (const result of lanes) {
    if (result.status === 'rejected') {
      if (isCancellation(result.reason)) cancelled = true;
      else throw result.reason;
    }
  }
  return { cancelled };
}
