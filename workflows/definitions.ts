/**
 * Messages and inputs of the ingestion workflows, defined once and imported by the workflow
 * code, the API and the tests, so a rename cannot silently break one side.
 */
import { defineQuery } from '@temporalio/workflow';
import type { BatchStatus, DocumentProgress } from '../core/progress.js';

/** Task queue for workflows and the I/O-bound steps (embed, upsert, catalog). */
export const INDEX_QUEUE = 'docflow-index';
/** Task queue for the CPU-bound steps (parse, chunk), served by the parse worker pool. */
export const PARSE_QUEUE = 'docflow-parse';

/** How the batch spreads its work; defaults keep every execution far below Temporal's limits. */
export interface FanOutOptions {
  /** Documents per shard child workflow. */
  shardSize: number;
  /** Shard children running at once. */
  shardsInFlight: number;
  /** Documents between their first step and their end at once inside one shard. */
  documentsInFlight: number;
  /** Documents per prepare (parse + chunk) activity. */
  documentsPerGroup: number;
  /** Upload bytes per prepare activity; a larger document goes on its own. */
  bytesPerGroup: number;
  /** Prepare activities running at once per shard. */
  groupsInFlight: number;
  /** Chunks per stored chunk group: the unit index packs are made of. */
  chunksPerStep: number;
  /** Chunks per index (embed + upsert) activity, packed across documents. */
  chunksPerPack: number;
  /** Index activities running at once per shard. */
  packsInFlight: number;
  /** A shard continues as new once its history passes this many events. */
  historyEventBudget: number;
}

/**
 * Defaults: at most shardsInFlight × (groupsInFlight + packsInFlight) = 4 × (2 + 4) = 24 pipeline
 * activities in flight per batch (the issue allows 500); a shard of 500 one-chunk documents
 * stays near 1,000 events, because each activity carries many documents.
 *
 * Prepare groups are bounded by bytes first: small documents go 64 to an activity (each activity,
 * its history events and its index pack's store commit cost the same whatever they carry),
 * while documents of ~50 KB still go about 20 at a time, so indexing starts as early as before.
 * documentsInFlight leaves room for both lanes' groups and the documents being indexed.
 */
export const DEFAULT_FAN_OUT: FanOutOptions = {
  shardSize: 500,
  shardsInFlight: 4,
  documentsInFlight: 256,
  documentsPerGroup: 64,
  bytesPerGroup: 1024 * 1024,
  groupsInFlight: 2,
  chunksPerStep: 128,
  chunksPerPack: 256,
  packsInFlight: 4,
  historyEventBudget: 6_000,
};

/**
 * A re-index run: the run's documents get their next version built beside the active one, with
 * these chunk sizes (what is not given comes from the worker's configuration).
 */
export interface ReindexOptions {
  maxTokens?: number;
  overlapTokens?: number;
}

export interface IngestBatchInput {
  tenantId: string;
  batchId: string;
  documentCount: number;
  fanOut?: Partial<FanOutOptions>;
  /** Task queue of the parse pool; index steps run on the workflow's own queue. */
  parseQueue?: string;
  /** 1 for the upload; each retry of failed documents is a new run with only those documents. */
  run?: number;
  /** Set when the run re-indexes its documents rather than indexing them for the first time. */
  reindex?: ReindexOptions;
}

/** What a shard needs to know about one document; loaded from the catalog, never file content. */
export interface DocumentRef {
  documentId: string;
  filename: string;
  format: string;
  blobKey: string;
  version: number;
  /** Set when the upload was recognised as a duplicate: nothing to do. */
  duplicateOf: string | null;
  /** Bytes of the upload, so prepare groups stay bounded; absent in runs recorded before groups. */
  size?: number;
}

export interface IngestShardInput {
  tenantId: string;
  batchId: string;
  shardIndex: number;
  offset: number;
  limit: number;
  fanOut: FanOutOptions;
  parseQueue: string;
  run: number;
  reindex?: ReindexOptions;
  /** Carried across continue-as-new. */
  carried?: ShardCarry;
}

export interface ShardCarry {
  refs: DocumentRef[];
  documents: DocumentProgress[];
  seq: number;
}

/** What a finished shard returns to its batch: the terminal state of each of its documents. */
export interface ShardResult {
  documents: DocumentProgress[];
  seq: number;
}

/** Snapshot of a shard's live progress (runs started before grouped steps). */
export interface ShardProgress {
  shardIndex: number;
  documents: DocumentProgress[];
  seq: number;
}

/** A shard's documents that changed after the seq the reader passed (every document for -1). */
export interface ShardChanges {
  shardIndex: number;
  seq: number;
  documents: DocumentProgress[];
}

/** A finished shard: its final seq, and its documents when it finished after the reader's seq. */
export interface FinishedShard {
  shardIndex: number;
  seq: number;
  documents: DocumentProgress[] | null;
}

/**
 * What the progress reader asks the batch: status, running shards to ask next, and the finished
 * shards, whose documents come only once (when they finished after the seq the reader passed).
 */
export interface BatchChanges {
  status: BatchStatus;
  seq: number;
  shardCount: number;
  runningShards: { shardIndex: number; workflowId: string }[];
  finishedShards: FinishedShard[];
  cancelRequested: boolean;
}

/** Snapshot of the batch (runs started before grouped steps): finished shards inline, running shards by id. */
export interface BatchProgress {
  status: BatchStatus;
  seq: number;
  shardCount: number;
  finishedShards: ShardResult[];
  runningShards: { shardIndex: number; workflowId: string }[];
  cancelRequested: boolean;
}

export const batchProgressQuery = defineQuery<BatchProgress>('batchProgress');
export const shardProgressQuery = defineQuery<ShardProgress>('shardProgress');
/** Progress since a seq: what the API's progress reader polls, so a poll costs what changed. */
export const batchChangesQuery = defineQuery<BatchChanges, [sinceSeq: number]>('batchChanges');
export const shardChangesQuery = defineQuery<ShardChanges, [sinceSeq: number]>('shardChanges');

/**
 * Workflow ids are derived on the server from tenant, batch and run, never taken from a client:
 * readable in the Web UI, and one id per run so a retry never collides with the original.
 */
export function batchWorkflowId(tenantId: string, batchId: string, run = 1): string {
  return run === 1 ? `ingest-${tenantId}-${batchId}` : `ingest-${tenantId}-${batchId}-r${run}`;
}

export function shardWorkflowId(tenantId: string, batchId: string, shardIndex: number, run = 1): string {
  return `${batchWorkflowId(tenantId, batchId, run)}-shard-${shardIndex}`;
}
