/**
 * The catalog: the durable record of tenants, API keys, batches and documents. It outlives
 * Temporal's history retention. Async so a PostgreSQL implementation can take its place.
 */
import type { BatchStatus, DocumentStatus } from '../core/progress.js';
import type { ReasonCode } from '../core/formats.js';
import { z } from 'zod';

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
  /**
   * Why the document's last re-index did not complete, while the version it tried is not active:
   * the document stays `indexed` at its active version, so status and error cannot say it.
   * Cleared when a later version is activated or the document is retried.
   */
  lastReindexFailure: ReindexFailureRecord | null;
  /** The run that last (re)queued this document. */
  run: number;
  /** Attempts the last step took, and when processing started and ended (ms since epoch). */
  attempt: number;
  startedAt: number | null;
  finishedAt: number | null;
  createdAt: string;
  updatedAt: string;
}

/** A re-index of a document that ended without its new version becoming active. */
export interface ReindexFailureRecord {
  code: ReasonCode;
  message: string;
  /** The version the re-index was building (never the active one). */
  version: number;
  /** When the failure was recorded (ISO). */
  at: string;
}

/** One document of a re-index run whose new version failed or was cancelled. */
export interface ReindexFailure {
  documentId: string;
  code: ReasonCode;
  message: string;
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

/**
 * Life of an index space. `building`: a model switch is filling its collection while the active
 * one serves. `active`: the one search answers from (one per tenant). `retiring`: replaced, its
 * collection not yet dropped. `retired`: replaced and dropped. `abandoned`: a switch that failed or
 * was cancelled, its collection dropped. A tenant has at most one space building or retiring, so
 * at most two collections exist at any moment.
 */
export type IndexSpaceState = 'building' | 'active' | 'retiring' | 'retired' | 'abandoned';

/** One generation of a tenant's vector collection, tied to the embedding model that filled it. */
export interface IndexSpaceRecord {
  tenantId: string;
  /** 1 = the collection every tenant starts with; +1 for each model switch; never reused. */
  generation: number;
  model: string;
  dimensions: number;
  state: IndexSpaceState;
  /** The switch workflow that builds it; null for generation 1. */
  workflowId: string | null;
  /** When the space was opened; for generation 1, which served from the start, the tenant's creation. */
  createdAt: string;
  /** When it became active (null while building, or never); for generation 1, the tenant's creation. */
  activatedAt: string | null;
}

/** The embedding model of an index space, as `beginIndexSpace` takes it. */
export const indexSpaceModelSchema = z.object({
  model: z.string().min(1).max(200),
  dimensions: z.number().int().positive().max(65_536),
});

const indexSpaceSwitchSchema = indexSpaceModelSchema.extend({ workflowId: z.string().min(1).max(1000) });

/**
 * Checks `beginIndexSpace`'s arguments before anything is written, with a message naming the
 * field, so both catalogs refuse the same inputs the same way.
 */
export function parseIndexSpaceArgs(
  next: { model: string; dimensions: number; workflowId: string },
  current: { model: string; dimensions: number },
): { next: z.infer<typeof indexSpaceSwitchSchema>; current: z.infer<typeof indexSpaceModelSchema> } {
  return { next: parseOrThrow('next', indexSpaceSwitchSchema, next), current: parseOrThrow('current', indexSpaceModelSchema, current) };
}

function parseOrThrow<T>(what: string, schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new Error(`invalid index space ${[what, ...issue.path.map(String)].join('.')}: ${issue.message}`);
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
  /**
   * A tenant's documents in id order, after `afterId` (null: from the start): a keyset walk that
   * neither skips nor repeats a row when documents are added or deleted meanwhile, unlike
   * offsets. What an embedding-model switch pages through.
   */
  listDocumentsAfter(tenantId: string, afterId: string | null, limit: number): Promise<DocumentRecord[]>;
  /** A tenant's documents, newest first, optionally filtered. */
  listDocuments(tenantId: string, opts: { limit: number; offset: number; status?: DocumentStatus; batchId?: string }): Promise<DocumentRecord[]>;
  /**
   * Starts a new run of a finished batch for the given failed/cancelled documents: requeues them
   * under the next run number (clearing their error and any re-index failure) and points the
   * batch at the new workflow. Returns null when the batch is still running; an empty list when
   * nothing matched.
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
   * removal, and a re-index failure recorded earlier is cleared. A document without a version
   * being built is left alone, so a repeat is harmless.
   */
  activateVersions(tenantId: string, updates: DocumentUpdate[]): Promise<void>;
  /**
   * The new versions these documents' re-index run was building did not complete: records the
   * reason against the newest version (the one the run built), in one write. Only a document
   * still `indexed` at an older active version is touched; its status, error and active version
   * stay as they are. A failure already recorded for that version is kept, so a later and vaguer
   * writer (settling a run that ended in Temporal) does not replace the run's own reason, and a
   * repeat is harmless.
   */
  recordReindexFailures(tenantId: string, failures: ReindexFailure[]): Promise<void>;
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

  /**
   * Every space the tenant ever had, by generation. Empty for a tenant that never switched (its
   * generation 1 uses the configured model; callers supply that default). The rows are kept for
   * good (a few per tenant): they are what keeps generations from being reused. Nothing deletes
   * tenants or their catalog rows today (retention removes files, not records); a tenant deletion
   * added later must delete these rows too (the foreign key to tenants enforces it).
   */
  listIndexSpaces(tenantId: string): Promise<IndexSpaceRecord[]>;
  /**
   * Opens the next generation as 'building' for `next.model`. When the tenant has no rows yet,
   * first records generation 1 as 'active' with `current` (the model that filled it). Returns
   * null, and changes nothing, when a space is already 'building' or 'retiring': one switch at a
   * time, and never a third collection. One transaction, serialised per tenant, so of two
   * simultaneous calls exactly one opens a space.
   */
  beginIndexSpace(
    tenantId: string,
    next: { model: string; dimensions: number; workflowId: string },
    current: { model: string; dimensions: number },
  ): Promise<IndexSpaceRecord | null>;
  /**
   * In one transaction: the 'building' space `generation` becomes 'active' (activatedAt = now)
   * and the previously active one 'retiring'. Returns false (and changes nothing) unless
   * `generation` is building, so a repeat after success is harmless and reports false.
   */
  activateIndexSpace(tenantId: string, generation: number): Promise<boolean>;
  /**
   * A space whose collection has been dropped: 'retiring' → 'retired', or 'building' →
   * 'abandoned' (a failed or cancelled switch). Anything else is left alone (repeat-safe).
   */
  closeIndexSpace(tenantId: string, generation: number): Promise<void>;

  health(): Promise<{ ok: boolean; detail: string }>;
  close(): Promise<void>;
}
