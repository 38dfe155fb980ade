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
  /** Documents processed at once inside one shard. */
  documentsInFlight: number;
  /** Chunks per embed/upsert activity. */
  chunksPerStep: number;
  /** A shard continues as new once its history passes this many events. */
  historyEventBudget: number;
}

/**
 * Defaults: at most shardsInFlight × documentsInFlight = 4 × 16 = 64 activities in flight per batch
 * (the issue allows 500); a shard of 100 documents stays near 3,000 events.
 */
export const DEFAULT_FAN_OUT: FanOutOptions = {
  shardSize: 100,
  shardsInFlight: 4,
  documentsInFlight: 16,
  chunksPerStep: 128,
  historyEventBudget: 6_000,
};

export interface IngestBatchInput {
  tenantId: string;
  batchId: string;
  documentCount: number;
  fanOut?: Partial<FanOutOptions>;
  /** Task queue of the parse pool; index steps run on the workflow's own queue. */
  parseQueue?: string;
  /** 1 for the upload; each retry of failed documents is a new run with only those documents. */
  run?: number;
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

/** Snapshot of a shard's live progress. */
export interface ShardProgress {
  shardIndex: number;
  documents: DocumentProgress[];
  seq: number;
}

/** Snapshot of the batch: finished shards inline, running shards by workflow id to query. */
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
