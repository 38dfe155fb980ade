/**
 * HTTP contract shared by the API (validation, OpenAPI) and the UI (types).
 * Changing a field here changes it for every client: keep it backwards compatible.
 */
import { z } from 'zod';
import { BATCH_STATUSES, DOCUMENT_STATUSES } from './progress.js';
import { REASON_CODES } from './formats.js';

export const ErrorInfoSchema = z.object({ code: z.enum(REASON_CODES), message: z.string() });

export const DocumentViewSchema = z.object({
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
});
export type DocumentView = z.infer<typeof DocumentViewSchema>;

export const BatchViewSchema = z.object({
  batchId: z.string(),
  status: z.enum(BATCH_STATUSES),
  createdAt: z.string(),
  documents: z.array(DocumentViewSchema),
  /** Monotonic within a batch: a client keeps the snapshot with the highest seq. */
  seq: z.number().int(),
  workflowId: z.string(),
});
export type BatchView = z.infer<typeof BatchViewSchema>;

/**
 * An SSE `progress` or `done` frame after the first `snapshot`: the batch's status and seq now,
 * and only the documents that changed since the previous frame, each complete. A client applies
 * them by documentId to the view it has; the frame's seq replaces the view's.
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

const IdSchema = z.string().regex(/^[A-Za-z0-9-]{1,64}$/);

export const SearchRequestSchema = z.object({
  query: z.string().trim().min(1).max(2000),
  limit: z.number().int().min(1).max(50).default(5),
  /** Restrict results to these documents / batches of the caller's tenant. */
  documentIds: z.array(IdSchema).min(1).max(100).optional(),
  batchIds: z.array(IdSchema).min(1).max(100).optional(),
});
export type SearchRequest = z.infer<typeof SearchRequestSchema>;

export const SearchResultSchema = z.object({
  documentId: z.string(),
  batchId: z.string(),
  filename: z.string(),
  text: z.string(),
  score: z.number(),
  page: z.number().int().nullable(),
  heading: z.string().nullable(),
  sheet: z.string().nullable(),
  rowStart: z.number().int().nullable(),
  rowEnd: z.number().int().nullable(),
  chunkIndex: z.number().int(),
});
export const SearchResponseSchema = z.object({ results: z.array(SearchResultSchema) });
export type SearchResponse = z.infer<typeof SearchResponseSchema>;

export const ErrorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), requestId: z.string() }),
});
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

export const BatchSummarySchema = z.object({
  batchId: z.string(),
  status: z.enum(BATCH_STATUSES),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  documentCount: z.number().int(),
  /** 1 for the upload, +1 per retry. */
  run: z.number().int(),
  workflowId: z.string(),
});
export type BatchSummary = z.infer<typeof BatchSummarySchema>;
export const BatchListResponseSchema = z.object({ batches: z.array(BatchSummarySchema), nextCursor: z.string().nullable() });
export type BatchListResponse = z.infer<typeof BatchListResponseSchema>;

export const DocumentDetailSchema = z.object({
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
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type DocumentDetail = z.infer<typeof DocumentDetailSchema>;
export const DocumentListResponseSchema = z.object({ documents: z.array(DocumentDetailSchema), nextCursor: z.string().nullable() });
export type DocumentListResponse = z.infer<typeof DocumentListResponseSchema>;

export const RetryResponseSchema = z.object({ batchId: z.string(), run: z.number().int(), documentIds: z.array(z.string()) });
export type RetryResponse = z.infer<typeof RetryResponseSchema>;

export const DeleteDocumentResponseSchema = z.object({ documentId: z.string(), deleted: z.literal(true), vectorsRemaining: z.literal(0) });
export type DeleteDocumentResponse = z.infer<typeof DeleteDocumentResponseSchema>;
