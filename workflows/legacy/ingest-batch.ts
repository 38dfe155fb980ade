/**
 * The batch workflow of runs started before grouped steps (type `ingestBatch`), kept so those
 * runs finish and their recorded histories replay; new batches run `ingestBatchV2` (../batch.ts).
 *
 * One workflow per upload batch. It fans the batch out to shard child workflows, a bounded
 * number at a time, and keeps what the progress query needs: finished shards inline, running
 * shards by id (the API queries those directly). The batch history grows by a handful of events
 * per shard, so 10,000 documents cost about a hundred shards' worth of events here.
 */
import { executeChild, CancellationScope, patched, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { settleBatchStatus, type BatchStatus } from '../../core/progress.js';
import { DEFAULT_FAN_OUT, batchChangesQuery, batchProgressQuery, type FanOutOptions, type IngestBatchInput, type ShardResult } from '../definitions.js';
import { bookkeeping } from '../proxies.js';
import { runShardLanes, shardChild } from '../shard-lanes.js';
import { ingestShard } from './ingest-shard.js';
import { STATUS_KEY } from '../../temporal/search-attribute-keys.js';

/** The fan-out these runs were started with; frozen, since a different shard size would not replay. */
const LEGACY_FAN_OUT: FanOutOptions = {
  ...DEFAULT_FAN_OUT,
  shardSize: 100,
  shardsInFlight: 4,
  documentsInFlight: 16,
  chunksPerStep: 128,
  historyEventBudget: 6_000,
};

/** Workflow entry point: ingest every document of one upload batch. */
export async function ingestBatch(input: IngestBatchInput): Promise<{ status: BatchStatus }> {
  const fanOut: FanOutOptions = { ...LEGACY_FAN_OUT, ...input.fanOut };
  const run = input.run ?? 1;
  const shardCount = Math.ceil(input.documentCount / fanOut.shardSize);
  const finished = new Map<number, ShardResult>();
  const running = new Map<number, string>();
  let status: BatchStatus = 'running';
  let seq = 0;
  let cancelRequested = false;

  setHandler(batchProgressQuery, () => ({
    status,
    seq,
    shardCount,
    finishedShards: [...finished.values()],
    runningShards: [...running.entries()].map(([shardIndex, workflowId]) => ({ shardIndex, workflowId })),
    cancelRequested,
  }));
  // The progress reader's query; these runs answer it with every finished document each time.
  setHandler(batchChangesQuery, () => ({
    status,
    seq,
    shardCount,
    runningShards: [...running.entries()].map(([shardIndex, workflowId]) => ({ shardIndex, workflowId })),
    finishedShards: [...finished.entries()].map(([shardIndex, r]) => ({ shardIndex, seq: r.seq, documents: r.documents })),
    cancelRequested,
  }));

  // Runs recorded before this step existed replay without it.
  if (patched('batch-marks-itself-running')) {
    seq = (await bookkeeping.markBatchRunning({ tenantId: input.tenantId, batchId: input.batchId, run })).seqBase;
  }

  const runShard = async (shardIndex: number) => {
    const child = shardChild(input, fanOut, shardIndex, run);
    running.set(shardIndex, child.workflowId);
    seq++;
    const result = await executeChild(ingestShard, child);
    finished.set(shardIndex, result);
    running.delete(shardIndex);
    seq++;
  };

  cancelRequested = (await runShardLanes(shardCount, fanOut.shardsInFlight, runShard)).cancelled;

  const documents = [...finished.values()].flatMap((r) => r.documents);
  status = cancelRequested ? 'cancelled' : settleBatchStatus(documents, false);
  seq++;
  await CancellationScope.nonCancellable(async () => {
    if (cancelRequested) {
      await bookkeeping.cancelOpenDocuments({ tenantId: input.tenantId, batchId: input.batchId, run });
    }
    const finalSeq = seq + [...finished.values()].reduce((n, r) => n + r.seq, 0);
    await bookkeeping.finalizeBatch({ tenantId: input.tenantId, batchId: input.batchId, status, finalSeq });
  });
  upsertSearchAttributes([{ key: STATUS_KEY, value: status }]);
  return { status };
}
