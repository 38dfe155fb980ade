/**
 * Inputs and outputs of every activity. Workflows import these as types only; values crossing
 * Temporal are references and counts (storage keys, chunk ranges), never text or vectors,
 * because payloads fail at 2 MB and every byte is kept in history.
 */
import type { DocumentProgress } from '../core/progress.js';
import type { DocumentRef } from '../workflows/definitions.js';
import type { ReconcileReport } from './maintenance/reconcile.js';
import type { RetentionReport } from './maintenance/retention.js';
import type { SettleSweepReport } from './maintenance/settle-runs.js';

export interface DocumentStepInput {
  tenantId: string;
  batchId: string;
  documentId: string;
  version: number;
}

export interface ParseInput extends DocumentStepInput {
  format: string;
  blobKey: string;
}
export interface ParseOutput {
  parsedKey: string;
  sections: number;
  characters: number;
}

export interface ChunkInput extends DocumentStepInput {
  parsedKey: string;
  /** Chunks per stored group; each embed/upsert step handles exactly one group. */
  groupSize: number;
}
export interface ChunkOutput {
  chunksKey: string;
  chunkCount: number;
}

/** A half-open range [start, end) of a document's chunks. */
export interface ChunkRangeInput extends DocumentStepInput {
  chunksKey: string;
  start: number;
  end: number;
}
export interface EmbedOutput {
  vectorsKey: string;
  dimensions: number;
}
export interface UpsertInput extends ChunkRangeInput {
  vectorsKey: string;
  filename: string;
}
export interface UpsertOutput {
  upserted: number;
}

export interface LoadShardInput {
  tenantId: string;
  batchId: string;
  run: number;
  offset: number;
  limit: number;
}

export interface CancelOpenDocumentsInput {
  tenantId: string;
  batchId: string;
  run: number;
}

/** Terminal state of one document, written to the catalog as the durable record. */
export type DocumentOutcome = Pick<DocumentProgress, 'documentId' | 'status' | 'chunks' | 'error' | 'attempt' | 'startedAt' | 'finishedAt'>;

export interface RecordOutcomesInput {
  tenantId: string;
  batchId: string;
  outcomes: DocumentOutcome[];
}

export interface RemoveVectorsInput {
  tenantId: string;
  documentIds: string[];
}

export interface MarkBatchRunningInput {
  tenantId: string;
  batchId: string;
  run: number;
}

export interface FinalizeBatchInput {
  tenantId: string;
  batchId: string;
  status: string;
  /** Seq of the final snapshot (batch plus all shards). */
  finalSeq: number;
}

/** The activity surface the workflows call; implemented by createActivities(). */
export interface IndexActivities {
  loadShardDocuments(input: LoadShardInput): Promise<DocumentRef[]>;
  embedChunks(input: ChunkRangeInput): Promise<EmbedOutput>;
  upsertChunks(input: UpsertInput): Promise<UpsertOutput>;
  recordOutcomes(input: RecordOutcomesInput): Promise<void>;
  removeDocumentVectors(input: RemoveVectorsInput): Promise<void>;
  /** After a cancel: documents in shards that never started are marked cancelled too. */
  cancelOpenDocuments(input: CancelOpenDocumentsInput): Promise<void>;
  finalizeBatch(input: FinalizeBatchInput): Promise<void>;
  /**
   * First step of a run: the catalog shows the batch running again. Matters after an operator
   * resets a finished run in Temporal; returns the last seq served, so progress keeps growing.
   */
  markBatchRunning(input: MarkBatchRunningInput): Promise<{ seqBase: number }>;
}

/** Activities served by the parse pool's task queue. */
export interface ParseActivities {
  parseDocument(input: ParseInput): Promise<ParseOutput>;
  chunkDocument(input: ChunkInput): Promise<ChunkOutput>;
}

/** Activities of the scheduled maintenance workflows; served by the index pool. */
export interface MaintenanceActivities {
  listTenantIds(): Promise<string[]>;
  settleClosedBatches(): Promise<SettleSweepReport>;
  reconcileTenant(input: { tenantId: string }): Promise<ReconcileReport>;
  applyRetention(): Promise<RetentionReport>;
  /** Vector-store housekeeping for one tenant's collection; returns what was done. */
  compactTenantVectors(input: { tenantId: string }): Promise<string>;
}
