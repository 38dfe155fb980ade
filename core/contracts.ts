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

export const CreateBatchResponseSchema = z.object({
  batchId: z.string(),
  documents: z.array(z.object({ documentId: z.string(), filename: z.string(), status: z.enum(DOCUMENT_STATUSES) })),
});
export type CreateBatchResponse = z.infer<typeof CreateBatchResponseSchema>;

export const SearchRequestSchema = z.object({
  query: z.string().trim().min(1).max(2000),
  limit: z.number().int().min(1).max(50).default(5),
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
