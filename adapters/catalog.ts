/**
 * The catalog: the durable record of tenants, API keys, batches and documents. It outlives
 * Temporal's history retention. Async so a PostgreSQL implementation can take its place.
 */
import type { BatchStatus, DocumentStatus } from '../core/progress.js';
import type { ReasonCode } from '../core/formats.js';

export interface TenantRecord {
  id: string;
  createdAt: string;
}

export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  /** First characters of the key, shown in listings to tell keys apart. */
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
}

export interface BatchRecord {
  id: string;
  tenantId: string;
  workflowId: string;
  status: BatchStatus;
  documentCount: number;
  createdAt: string;
  finishedAt: string | null;
  idempotencyKey: string | null;
  /** Progress seq of the final snapshot, so catalog-served views continue the live sequence. */
  finalSeq: number | null;
  /** Run number: 1 for the upload, +1 for each retry; each run is its own workflow. */
  currentRun: number;
}

export interface DocumentRecord {
  id: string;
  tenantId: string;
  batchId: string;
  /** Position within the batch, so shards can page through documents in a stable order. */
  position: number;
  filename: string;
  format: string;
  contentHash: string;
  size: number;
  blobKey: string;
  status: DocumentStatus;
  chunks: number;
  errorCode: ReasonCode | null;
  errorMessage: string | null;
  /** The newest version made of this document: the one a re-index builds, or last built. */
  version: number;
  /** The version search and the inspector answer from; a re-index moves it in one write, once its version is complete. */
  activeVersion: number;
  /**
   * Another version whose points may still be in the vector store: the one a re-index is building
   * (above activeVersion), or the one it replaced until its points are removed (below). Null when
   * the store holds the active version only; search holds such documents to their active version.
   */
  pendingVersion: number | null;
  duplicateOf: string | null;
  /** The run that last (re)queued this document. */
  run: number;
  /** Attempts the last step took, and when processing started and ended (ms since epoch). */
  attempt: number;
  startedAt: number | null;
  finishedAt: number | null;
  createdAt: string;
  updatedAt: string;
}

export type NewDocument = Pick<DocumentRecord, 'id' | 'filename' | 'format' | 'contentHash' | 'size' | 'blobKey' | 'duplicateOf'>;

export interface DocumentUpdate {
  documentId: string;
  status: DocumentStatus;
  chunks: number;
  errorCode: ReasonCode | null;
  errorMessage: string | null;
  attempt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

export interface Catalog {
  ensureTenant(tenantId: string): Promise<TenantRecord>;
  getTenant(tenantId: string): Promise<TenantRecord | null>;
  listTenants(): Promise<TenantRecord[]>;
  /** Stores the key's hash only; the caller generates the key and shows it once. */
  addApiKey(tenantId: string, keyHash: string, prefix: string): Promise<ApiKeyRecord>;
  /** Resolves a key hash to its tenant; null when unknown or revoked. */
  findTenantByKeyHash(keyHash: string): Promise<string | null>;
  listApiKeys(tenantId?: string): Promise<ApiKeyRecord[]>;
  revokeApiKeys(prefix: string): Promise<number>;

  /** Creates a batch and its documents atomically, before the workflow starts. */
  createBatch(batch: Omit<BatchRecord, 'status' | 'finishedAt' | 'createdAt' | 'finalSeq' | 'currentRun'>, documents: NewDocument[]): Promise<void>;
  getBatch(tenantId: string, batchId: string): Promise<BatchRecord | null>;
  findBatchByIdempotencyKey(tenantId: string, key: string): Promise<BatchRecord | null>;
  listBatches(tenantId: string, opts: { limit: number; offset: number; status?: BatchStatus }): Promise<BatchRecord[]>;
  setBatchStatus(tenantId: string, batchId: string, status: BatchStatus, finalSeq?: number): Promise<void>;

  getDocument(tenantId: string, documentId: string): Promise<DocumentRecord | null>;
  /** Documents of a batch in upload order, a page at a time; with `run`, only that run's. */
  listBatchDocuments(tenantId: string, batchId: string, offset: number, limit: number, run?: number): Promise<DocumentRecord[]>;
  /** A tenant's documents, newest first, optionally filtered. */
  listDocuments(tenantId: string, opts: { limit: number; offset: number; status?: DocumentStatus; batchId?: string }): Promise<DocumentRecord[]>;
  /**
   * Starts a new run of a finished batch for the given failed/cancelled documents: requeues them
   * under the next run number and points the batch at the new workflow. Returns null when the
   * batch is still running; an empty list when nothing matched.
   */
  startRetry(tenantId: string, batchId: string, documentIds: string[] | 'all', workflowIdForRun: (run: number) => string): Promise<{ run: number; documentIds: string[] } | null>;
  /**
   * Starts a re-index run of a finished batch for the given indexed documents (or all of them):
   * each gets the next version number as its pending version and the run's number, and stays
   * `indexed` at its active version meanwhile; the batch points at the new workflow. Returns null
   * when the batch is missing or still running; an empty list when no document qualifies
   * (not indexed, a duplicate, or already re-indexing).
   */
  startReindex(tenantId: string, batchId: string, documentIds: string[] | 'all', workflowIdForRun: (run: number) => string): Promise<{ run: number; documentIds: string[] } | null>;
  /**
   * A re-indexed document's new version is complete: in one write per document it becomes the
   * active version (with the outcome's chunk count) and the one it replaces becomes pending
   * removal. A document without a version being built is left alone, so a repeat is harmless.
   */
  activateVersions(tenantId: string, updates: DocumentUpdate[]): Promise<void>;
  /** The store holds only the active version of these documents again: their pending version is cleared. */
  settleVersions(tenantId: string, documentIds: string[]): Promise<void>;
  /** The documents that have a pending version, with the version search must hold them to. */
  listPendingVersions(tenantId: string): Promise<{ documentId: string; activeVersion: number }[]>;
  /** Marks every not-yet-terminal document of a run as cancelled (documents a cancelled batch never reached). */
  cancelOpenDocuments(tenantId: string, batchId: string, run: number, message: string): Promise<number>;
  /** Removes a document's row; returns its blob key and whether another document still uses that blob. */
  deleteDocument(tenantId: string, documentId: string): Promise<{ blobKey: string; blobStillUsed: boolean } | null>;
  /** An indexed document of this tenant with the same content, for duplicate detection. */
  findIndexedByHash(tenantId: string, contentHash: string): Promise<DocumentRecord | null>;
  updateDocuments(tenantId: string, updates: DocumentUpdate[]): Promise<void>;
  health(): Promise<{ ok: boolean; detail: string }>;
  close(): Promise<void>;
}
