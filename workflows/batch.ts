/**
 * One workflow per upload batch (and per retry run of it). It fans the batch out to shard child
 * workflows, a bounded number at a time, and keeps what the progress reader needs: running
 * shards by id (the reader asks those directly) and finished shards' final documents, handed
 * out once per reader. The batch history grows by a handful of events per shard.
 */
import {
  CancellationScope,
  ParentClosePolicy,
  executeChild,
  isCancellation,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { settleBatchStatus, type BatchStatus } from '../core/progress.js';
import { BATCH_KEY, STATUS_KEY, TENANT_KEY } from '../temporal/search-attribute-keys.js';
import {
  DEFAULT_FAN_OUT,
  PARSE_QUEUE,
  batchChangesQuery,
  shardWorkflowId,
  type FanOutOptions,
  type IngestBatchInput,
  type ShardResult,
} from './definitions.js';
import { localBookkeeping } from './proxies.js';
import { ingestShardV2 } from './shard.js';

/** Workflow entry point: ingest every document of one upload batch (or of one retry run). */
export async function ingestBatchV2(input: IngestBatchInput): Promise<{ status: BatchStatus }> {
  const { tenantId, batchId } = input;
  const fanOut: FanOutOptions = { ...DEFAULT_FAN_OUT, ...input.fanOut };
  const run = input.run ?? 1;
  const shardCount = Math.ceil(input.documentCount / fanOut.shardSize);
  const finished = new Map<number, ShardResult & { finishedAt: number }>();
  const running = new Map<number, string>();
  let status: BatchStatus = 'running';
  let seq = 0;
  let cancelRequested = false;

  setHandler(batchChangesQuery, (sinceSeq) => ({
    status,
    seq,
    shardCount,
    runningShards: [...running.entries()].map(([shardIndex, workflowId]) => ({ shardIndex, workflowId })),
    finishedShards: [...finished.entries()].map(([shardIndex, r]) => ({ shardIndex, seq: r.seq, documents: r.finishedAt > sinceSeq ? r.documents : null })),
    cancelRequested,
  }));

  // The catalog shows the batch running (again, after an operator reset a finished run), and
  // this run's seqs continue from the last one served, so progress ids keep growing.
  seq = (await localBookkeeping.markBatchRunning({ tenantId, batchId, run })).seqBase;

  const runShard = async (shardIndex: number) => {
    const workflowId = shardWorkflowId(tenantId, batchId, shardIndex, run);
    running.set(shardIndex, workflowId);
    seq++;
    const result = await executeChild(ingestShardV2, {
      workflowId,
      args: [
        {
          tenantId,
          batchId,
          shardIndex,
          offset: shardIndex * fanOut.shardSize,
          limit: fanOut.shardSize,
          fanOut,
          parseQueue: input.parseQueue ?? PARSE_QUEUE,
          run,
        },
      ],
      // Shards carry tenant and batch too, so one search-attribute query lists a whole batch.
      typedSearchAttributes: [
        { key: TENANT_KEY, value: tenantId },
        { key: BATCH_KEY, value: batchId },
      ],
      // A cancelled batch cancels its shards, which clean up their partial vectors.
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    });
    seq++;
    finished.set(shardIndex, { ...result, finishedAt: seq });
    running.delete(shardIndex);
  };

  const isCancelled = () => CancellationScope.current().consideredCancelled;
  let nextShard = 0;
  const lane = async () => {
    while (nextShard < shardCount && !isCancelled()) await runShard(nextShard++);
  };
  // allSettled, not all: on cancel every running shard must finish its own clean-up first.
  const lanes = await Promise.allSettled(Array.from({ length: Math.min(fanOut.shardsInFlight, shardCount) }, lane));
  cancelRequested = isCancelled();
  for (const lane of lanes) {
    if (lane.status === 'rejected') {
      if (isCancellation(lane.reason)) cancelRequested = true;
      else throw lane.reason;
    }
  }

  const documents = [...finished.values()].flatMap((r) => r.documents);
  status = cancelRequested ? 'cancelled' : settleBatchStatus(documents, false);
  seq++;
  await CancellationScope.nonCancellable(async () => {
    if (cancelRequested) await localBookkeeping.cancelOpenDocuments({ tenantId, batchId, run });
    const finalSeq = seq + [...finished.values()].reduce((n, r) => n + r.seq, 0);
    await localBookkeeping.finalizeBatch({ tenantId, batchId, status, finalSeq });
  });
  upsertSearchAttributes([{ key: STATUS_KEY, value: status }]);
  return { status };
}
