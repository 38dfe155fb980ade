/**
 * HTTP contract shared by the API (validation, OpenAPI) and the UI (types).
 * Changing a field here changes it for every client: keep it backwards compatible.
 */
import { z } from 'zod';
import { BATCH_STATUSES, DOCUMENT_STATUSES } from './progress.js';
import { REASON_CODES } from './formats.js';
import { MATCH_KINDS, SEARCH_MODES } from './hybrid-ranking.js';

export const ErrorInfoSchema = z.object({ code: z.enum(REASON_CODES), message: z.string() }).meta({ id: 'ErrorInfo' });

export const DocumentViewSchema = z
  .object({
    documentId: z.string(),
    filename: z.string(),
    status: z.enum(DOCUMENT_STATUSES),
    chunks: z.number().int(),
    chunksTotal: z.number().int().nullable(),
    attempt: z.number().int(),
    error: ErrorInfoSchema.nullable(),
    startedAt: z.number().nullable(),
    finishedAt: z.number().nullable(),
    /** For `skipped`: the already-indexed document with the same content. */
    duplicateOf: z.string().nullable(),
    /**
     * Present when the document's last re-index did not complete (it stays `indexed` at its
     * active version): why. From the catalog's record only, so not in a running run's changes.
     */
    reindexFailure: ErrorInfoSchema.optional(),
  })
  .meta({ id: 'DocumentView' });
export type DocumentView = z.infer<typeof DocumentViewSchema>;

export const BatchViewSchema = z
  .object({
    batchId: z.string(),
    status: z.enum(BATCH_STATUSES),
    createdAt: z.string(),
    documents: z.array(DocumentViewSchema),
    /** Monotonic within a batch: a client keeps the snapshot with the highest seq. */
    seq: z.number().int(),
    workflowId: z.string(),
  })
  .meta({ id: 'BatchView' });
export type BatchView = z.infer<typeof BatchViewSchema>;

/**
 * An SSE `progress` or `done` frame after the first `snapshot`: the batch's status and seq now,
 * and only the documents that changed since the previous frame, each complete. A client applies
 * them by documentId to the view it has; the frame's seq replaces the view's. A delta too large
 * for one frame comes as several, each a delta of its own: the leading parts (without event id)
 * say a running batch and the seq the client already has, the last one the status and seq now.
 */
export const BatchDeltaSchema = BatchViewSchema.pick({ batchId: true, status: true, seq: true, workflowId: true }).extend({
  documents: z.array(DocumentViewSchema),
});
export type BatchDelta = z.infer<typeof BatchDeltaSchema>;

/** A delta applied to a view: the changed documents replace theirs, in place; the rest stay as they were. */
export function applyBatchDelta(view: BatchView, delta: BatchDelta): BatchView {
  const changed = new Map(delta.documents.map((d) => [d.documentId, d]));
  const documents = view.documents.map((d) => changed.get(d.documentId) ?? d);
  return { ...view, status: delta.status, seq: delta.seq, workflowId: delta.workflowId, documents };
}

export const CreateBatchResponseSchema = z.object({
  batchId: z.string(),
  documents: z.array(z.object({ documentId: z.string(), filename: z.string(), status: z.enum(DOCUMENT_STATUSES) })),
});
export type CreateBatchResponse = z.infer<typeof CreateBatchResponseSchema>;

/**
 * What a batch or document id may look like in a URL or a filter: the server mints UUIDs, and
 * anything outside this alphabet can name no resource. Defined once for the API and the web app.
 */
export const ID_PATTERN = /^[A-Za-z0-9-]{1,64}$/;
export const IdSchema = z.string().regex(ID_PATTERN, 'must be 1-64 characters of A-Z a-z 0-9 -');

/** `Idempotency-Key` of an upload: a client's own token, so a little wider than our ids. */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
export const IdempotencyKeySchema = z.string().regex(IDEMPOTENCY_KEY_PATTERN, 'must be 1-128 characters of A-Z a-z 0-9 _ . : -');

export const SearchRequestSchema = z
  .object({
    query: z.string().trim().min(1).max(2000),
    limit: z.number().int().min(1).max(50).default(5),
    /** `dense` by meaning, `keyword` by the query's words, `hybrid` both fused by rank (core/hybrid-ranking.ts). */
    mode: z.enum(SEARCH_MODES).default('hybrid'),
    /** Restrict results to these documents / batches of the caller's tenant. */
    documentIds: z.array(IdSchema).min(1).max(100).optional(),
    batchIds: z.array(IdSchema).min(1).max(100).optional(),
  })
  .meta({ id: 'SearchRequest' });
export type SearchRequest = z.infer<typeof SearchRequestSchema>;
/** What a client sends: `limit` and `mode` may be left to their defaults. */
export type SearchRequestBody = z.input<typeof SearchRequestSchema>;

/** Where a chunk came from, as search results and the document inspector both show it. */
const ChunkPlaceFields = {
  page: z.number().int().nullable(),
  heading: z.string().nullable(),
  /** Every heading above the chunk, outermost first. */
  headingPath: z.array(z.string()),
  sheet: z.string().nullable(),
  rowStart: z.number().int().nullable(),
  rowEnd: z.number().int().nullable(),
};

export const SearchResultSchema = z
  .object({
    documentId: z.string(),
    batchId: z.string(),
    filename: z.string(),
    text: z.string(),
    /** Cosine similarity (dense), keyword relevance (keyword) or the fused rank score (hybrid); higher is better. */
    score: z.number(),
    /** Which retrieval found the passage: by meaning, by its words, or both. */
    matched: z.enum(MATCH_KINDS),
    ...ChunkPlaceFields,
    chunkIndex: z.number().int(),
  })
  .meta({ id: 'SearchResult' });
export const SearchResponseSchema = z.object({ results: z.array(SearchResultSchema) }).meta({ id: 'SearchResponse' });
export type SearchResponse = z.infer<typeof SearchResponseSchema>;

export const ErrorBodySchema = z
  .object({
    error: z.object({ code: z.string(), message: z.string(), requestId: z.string() }),
  })
  .meta({ id: 'ErrorBody' });
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** Query string of the list routes; `cursor` is opaque to clients. */
export const ListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z
    .string()
    .regex(/^[0-9]{1,9}$/)
    .optional(),
});

export const BatchListQuerySchema = ListQuerySchema.extend({ status: z.enum(BATCH_STATUSES).optional() });
export const DocumentListQuerySchema = ListQuerySchema.extend({
  status: z.enum(DOCUMENT_STATUSES).optional(),
  batchId: IdSchema.optional(),
});

export const BatchSummarySchema = z
  .object({
    batchId: z.string(),
    status: z.enum(BATCH_STATUSES),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
    documentCount: z.number().int(),
    /** 1 for the upload, +1 per retry. */
    run: z.number().int(),
    workflowId: z.string(),
  })
  .meta({ id: 'BatchSummary' });
export type BatchSummary = z.infer<typeof BatchSummarySchema>;
export const BatchListResponseSchema = z.object({ batches: z.array(BatchSummarySchema), nextCursor: z.string().nullable() }).meta({ id: 'BatchList' });
export type BatchListResponse = z.infer<typeof BatchListResponseSchema>;

/**
 * A re-index whose new version failed or was cancelled: the document stays `indexed` at its
 * active version, so its status and error say nothing of it.
 */
export const ReindexFailureSchema = z
  .object({
    code: z.enum(REASON_CODES),
    message: z.string(),
    /** The version the re-index was building; never the active one. */
    version: z.number().int(),
    /** When the failure was recorded (ISO 8601). */
    at: z.string(),
  })
  .meta({ id: 'ReindexFailure' });

export const DocumentDetailSchema = z
  .object({
    documentId: z.string(),
    batchId: z.string(),
    filename: z.string(),
    format: z.string(),
    size: z.number().int(),
    contentHash: z.string(),
    status: z.enum(DOCUMENT_STATUSES),
    chunks: z.number().int(),
    attempt: z.number().int(),
    error: ErrorInfoSchema.nullable(),
    duplicateOf: z.string().nullable(),
    run: z.number().int(),
    /** The run (workflow) that last processed the document, for links into the Temporal Web UI. */
    workflowId: z.string(),
    /** Content version whose chunks search answers from. */
    version: z.number().int(),
    /** Why the last re-index did not complete; null once a later version is active or the document is retried. */
    lastReindexFailure: ReindexFailureSchema.nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'DocumentDetail' });
export type DocumentDetail = z.infer<typeof DocumentDetailSchema>;
export const DocumentListResponseSchema = z.object({ documents: z.array(DocumentDetailSchema), nextCursor: z.string().nullable() }).meta({ id: 'DocumentList' });
export type DocumentListResponse = z.infer<typeof DocumentListResponseSchema>;

export const RetryResponseSchema = z.object({ batchId: z.string(), run: z.number().int(), documentIds: z.array(z.string()) }).meta({ id: 'RetryResult' });
export type RetryResponse = z.infer<typeof RetryResponseSchema>;

/**
 * Chunk sizes of a re-index, in estimated tokens, within the chunker's own bounds
 * (core/chunking.ts); what is left out comes from the worker's configuration, and an overlap
 * that does not fit the size shrinks to fit.
 */
export const ReindexRequestSchema = z
  .object({
    maxTokens: z.number().int().min(2).max(8192).optional().meta({ description: 'Largest chunk, in estimated tokens (the configured CHUNK_MAX_TOKENS when left out).' }),
    overlapTokens: z
      .number()
      .int()
      .min(0)
      .max(8190)
      .optional()
      .meta({ description: 'Tokens a chunk repeats from the one before (the configured CHUNK_OVERLAP_TOKENS when left out); at most maxTokens - 2.' }),
  })
  .strict()
  .refine((r) => r.maxTokens === undefined || r.overlapTokens === undefined || r.overlapTokens <= r.maxTokens - 2, {
    message: 'overlapTokens must be at most maxTokens - 2',
    path: ['overlapTokens'],
  })
  .meta({ id: 'ReindexRequest' });
export type ReindexRequest = z.infer<typeof ReindexRequestSchema>;
/** The run that builds the next version of each listed document; search answers from the current one until each is complete. */
export const ReindexResponseSchema = z.object({ batchId: z.string(), run: z.number().int(), documentIds: z.array(z.string()) }).meta({ id: 'ReindexResult' });
export type ReindexResponse = z.infer<typeof ReindexResponseSchema>;

export const DeleteDocumentResponseSchema = z.object({ documentId: z.string(), deleted: z.literal(true), vectorsRemaining: z.literal(0) }).meta({ id: 'DeleteDocumentResult' });
export type DeleteDocumentResponse = z.infer<typeof DeleteDocumentResponseSchema>;

/** Query string of the chunk listing: `cursor` is the index of the first chunk to return (a page's `nextCursor`). */
export const ChunkListQuerySchema = ListQuerySchema;

/** One chunk as the document inspector shows it: its text, size and where it came from. */
export const ChunkViewSchema = z
  .object({
    index: z.number().int(),
    text: z.string(),
    /** Estimated tokens, as the chunker counted them. */
    tokens: z.number().int(),
    ...ChunkPlaceFields,
    /** Lowest OCR confidence (0..100) of the text it came from; null when the text was not recognised from an image. */
    ocrConfidence: z.number().nullable(),
    /** Where the chunk (overlap included) lies in the document's extracted text, end exclusive; null for chunks indexed before offsets were kept. */
    charStart: z.number().int().nullable(),
    charEnd: z.number().int().nullable(),
  })
  .meta({ id: 'ChunkView' });
export type ChunkView = z.infer<typeof ChunkViewSchema>;

export const DocumentChunksResponseSchema = z
  .object({
    documentId: z.string(),
    /** The content version shown: the one search answers from. */
    version: z.number().int(),
    /** Chunks the version has in all (0 while the document is not indexed). */
    chunkCount: z.number().int(),
    chunks: z.array(ChunkViewSchema),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'DocumentChunks' });
export type DocumentChunksResponse = z.infer<typeof DocumentChunksResponseSchema>;

/** Moving the tenant to another embedding model (a long-running switch; search keeps working). */
export const ModelSwitchRequestSchema = z
  .object({ model: z.string().min(1).max(200).meta({ description: 'One of the models GET /api/embedding-model lists.' }) })
  .strict()
  .meta({ id: 'ModelSwitchRequest' });
export type ModelSwitchRequest = z.infer<typeof ModelSwitchRequestSchema>;

export const ModelSwitchPhaseSchema = z.enum(['starting', 'copying', 'verifying', 'swapping', 'retiring', 'done', 'failed', 'cancelled']);

/** A switch's progress, as its workflow reports it (live while it runs, final once it ended). */
export const ModelSwitchViewSchema = z
  .object({
    workflowId: z.string(),
    model: z.string(),
    previousModel: z.string().nullable(),
    generation: z.number().int().nullable().meta({ description: 'The index generation being built (each switch makes a new collection).' }),
    phase: ModelSwitchPhaseSchema,
    documents: z.number().int().meta({ description: 'Indexed documents when the switch began.' }),
    copied: z.number().int(),
    verifyPasses: z.number().int(),
    repaired: z.number().int().meta({ description: 'Documents verification found incomplete and copied again.' }),
    swapped: z.boolean().meta({ description: 'Search answers from the new model already.' }),
    failed: z.array(z.object({ documentId: z.string(), filename: z.string(), reason: z.string() })),
    error: z.string().nullable(),
  })
  .meta({ id: 'ModelSwitch' });
export type ModelSwitchView = z.infer<typeof ModelSwitchViewSchema>;

export const EmbeddingModelStateSchema = z
  .object({
    model: z.string().meta({ description: 'The model the tenant is indexed and searched with.' }),
    generation: z.number().int(),
    models: z.array(z.string()).meta({ description: 'Models this installation can switch a tenant to.' }),
    switch: ModelSwitchViewSchema.nullable().meta({ description: 'The latest switch, running or ended; null if there never was one.' }),
  })
  .meta({ id: 'EmbeddingModelState' });
export type EmbeddingModelState = z.infer<typeof EmbeddingModelStateSchema>;

/** The answer to a cancel: the switch ends on its own once it has cleaned up. */
export const ModelSwitchCancelResponseSchema = z.object({ cancelling: z.literal(true) }).meta({ id: 'ModelSwitchCancelResult' });
