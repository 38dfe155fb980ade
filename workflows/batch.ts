/**
 * One workflow per upload batch (and per retry run of it). It fans the batch out to shard child
 * workflows, a bounded number at a time, and keeps what the progress reader needs: running
 * shards by id (the reader asks those directly) and finished shards' final documents, handed
 * out once per reader. The batch history grows by a handful of events per shard.
 */
import { CancellationScope, executeChild, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { settleBatchStatus, type BatchStatus } from '../core/progress.js';
import { STATUS_KEY } from '../temporal/search-attribute-keys.js';
import { DEFAULT_FAN_OUT, batchChangesQuery, type FanOutOptions, type IngestBatchInput, type ShardResult } from './definitions.js';
import { localBookkeeping } from './proxies.js';
import { ingestShardV2 } from './shard.js';
import { runShardLanes, shardChild } from './shard-lanes.js';

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
    const child = shardChild(input, fanOut, shardIndex, run);
    running.set(shardIndex, child.workflowId);
    seq++;
    const result = await executeChild(ingestShardV2, child);
    seq++;
    finished.set(shardIndex, { ...result, finishedAt: seq });
    running.delete(shardIndex);
  };

  cancelRequested = (await runShardLanes(shardCount, fanOut.shardsInFlight, runShard)).cancelled;

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
