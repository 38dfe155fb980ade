/**
 * Inputs and outputs of every activity. Workflows import these as types only; values crossing
 * Temporal are references and counts (storage keys, chunk ranges), never text or vectors,
 * because payloads fail at 2 MB and every byte is kept in history.
 */
import type { ChunkOptions } from '../core/chunking.js';
import type { ReasonCode } from '../core/formats.js';
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

/** The steps a document goes through; a failure names the one it happened in. */
export type PipelineStep = 'parse' | 'chunk' | 'embed' | 'upsert';

/**
 * Why one document's step did not succeed. `retryable` says whether another attempt can help
 * (an infrastructure problem) or not (a property of the file, or a refusal the endpoint repeats).
 */
export interface StepFailure {
  step: PipelineStep;
  code: ReasonCode;
  message: string;
  retryable: boolean;
}

/** One document of a prepare group. */
export interface PrepareItem {
  documentId: string;
  version: number;
  format: string;
  blobKey: string;
}

/** Parse and chunk a group of documents in one activity (bounded by count and bytes by the workflow). */
export interface PrepareInput {
  tenantId: string;
  batchId: string;
  /** Chunks per stored group; an index item covers one group or part of one. */
  groupSize: number;
  documents: PrepareItem[];
  /** Chunk sizes asked for by a re-index; what is not given comes from the worker's configuration. */
  chunking?: Partial<ChunkOptions>;
}

/** Per-document result of a prepare group: chunked, or failed at a named step. */
export type PreparedDocument = { documentId: string; ok: true; chunksKey: string; chunkCount: number } | { documentId: string; ok: false; failure: StepFailure };

export interface PrepareOutput {
  documents: PreparedDocument[];
}

/** A range of one document's chunks inside an index pack. */
export interface IndexItem {
  documentId: string;
  version: number;
  filename: string;
  chunksKey: string;
  /** Half-open [start, end), within one stored chunk group. */
  start: number;
  end: number;
}

/** Embed and upsert chunk ranges of several documents in one activity. */
export interface IndexInput {
  tenantId: string;
  batchId: string;
  items: IndexItem[];
}

/** Per-range result of an index pack. */
export type IndexedRange = { documentId: string; start: number; ok: true; upserted: number } | { documentId: string; start: number; ok: false; failure: StepFailure };

export interface IndexOutput {
  items: IndexedRange[];
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
  /**
   * Outcomes of a re-index run: an indexed document's new version becomes the active one; any
   * other outcome leaves the document as it was (indexed at its active version), with the reason
   * recorded as its last re-index failure.
   */
  reindex?: boolean;
}

export interface RemoveVectorsInput {
  tenantId: string;
  documentIds: string[];
  /**
   * Remove only the points of versions other than each document's active one (a re-index: the
   * version it replaced, or its own partial one), then record that only the active version is left.
   */
  inactiveOnly?: boolean;
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

/** The activity surface the workflows call; implemented by createIndexActivities(). */
export interface IndexActivities {
  loadShardDocuments(input: LoadShardInput): Promise<DocumentRef[]>;
  /** Embeds and upserts chunk ranges packed across documents; a document's own failure is reported, not thrown. */
  indexChunks(input: IndexInput): Promise<IndexOutput>;
  /** One range of one document (runs started before index packs). */
  embedChunks(input: ChunkRangeInput): Promise<EmbedOutput>;
  /** One range of one document (runs started before index packs). */
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
  /** Parses and chunks a group of documents; a document's own failure is reported, not thrown. */
  prepareDocuments(input: PrepareInput): Promise<PrepareOutput>;
  /** One document (runs started before prepare groups). */
  parseDocument(input: ParseInput): Promise<ParseOutput>;
  /** One document (runs started before prepare groups). */
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

/** Steps of an embedding-model switch (workflows/model-switch.ts); served by the index pool. */
export interface ModelSwitchActivities {
  /**
   * Records the new index space as being built for `model` and creates its collections. Refuses
   * (non-retryable) a model that is not configured, the model already in use, or a second switch
   * while one runs. A retry of the same run finds its own space again.
   */
  openIndexSpace(input: { tenantId: string; model: string; workflowId: string }): Promise<OpenedIndexSpace>;
  /**
   * Copies a page of the tenant's indexed documents (in id order, after `after`) from the active
   * space into space `generation`, re-embedding their stored chunk texts with its model; nothing is
   * parsed again. With `verify`, a document whose active version is already complete there is
   * skipped. A document the new model refuses is reported, not thrown.
   */
  copyToIndexSpace(input: CopyToSpaceInput): Promise<CopyToSpaceOutput>;
  /** Removes points of space `generation` that the catalog no longer backs (deleted documents, replaced versions). */
  pruneIndexSpace(input: { tenantId: string; generation: number }): Promise<{ removed: number }>;
  /** The swap: space `generation` answers search from now on, in one catalog write. */
  activateIndexSpace(input: { tenantId: string; generation: number }): Promise<void>;
  /** Drops the collections of a replaced or abandoned space and records it as closed. */
  dropIndexSpace(input: { tenantId: string; generation: number }): Promise<void>;
}

export interface OpenedIndexSpace {
  generation: number;
  /** The space serving search while the new one is built. */
  previousGeneration: number;
  previousModel: string;
  /** Indexed documents when the switch began, for progress. */
  documents: number;
}

export interface CopyToSpaceInput {
  tenantId: string;
  generation: number;
  /** Document id the previous page ended at; null for the first page. */
  after: string | null;
  limit: number;
  verify: boolean;
}

export interface CopyToSpaceOutput {
  /** Where the next page starts; null when this was the last. */
  next: string | null;
  /** Indexed documents looked at. */
  documents: number;
  /** Documents written to the new space (all of them on the first pass, the incomplete ones when verifying). */
  copied: number;
  failed: { documentId: string; filename: string; reason: string }[];
}
