/** Catalog records and search hits as the API shows them; one mapping per shape so every route agrees. */
import type { BatchRecord, DocumentRecord } from '../adapters/catalog.js';
import type { IndexSearchHit } from '../adapters/index-search.js';
import type { BatchSummary, DocumentDetail, SearchResponse } from '../core/contracts.js';
import { batchWorkflowId } from '../workflows/definitions.js';

export function batchSummary(b: BatchRecord): BatchSummary {
  return {
    batchId: b.id,
    status: b.status,
    createdAt: b.createdAt,
    finishedAt: b.finishedAt,
    documentCount: b.documentCount,
    run: b.currentRun,
    workflowId: b.workflowId,
  };
}

export function documentDetail(d: DocumentRecord): DocumentDetail {
  return {
    documentId: d.id,
    batchId: d.batchId,
    filename: d.filename,
    format: d.format,
    size: d.size,
    contentHash: d.contentHash,
    status: d.status,
    chunks: d.chunks,
    attempt: d.attempt,
    error: d.errorCode ? { code: d.errorCode, message: d.errorMessage ?? '' } : null,
    duplicateOf: d.duplicateOf,
    run: d.run,
    workflowId: batchWorkflowId(d.tenantId, d.batchId, d.run),
    version: d.activeVersion,
    lastReindexFailure: d.lastReindexFailure,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

export function searchResult(h: IndexSearchHit): SearchResponse['results'][number] {
  return {
    documentId: h.payload.documentId,
    batchId: h.payload.batchId,
    filename: h.payload.filename,
    text: h.payload.text,
    score: h.score,
    matched: h.matched,
    page: h.payload.page,
    heading: h.payload.heading,
    headingPath: h.payload.headingPath,
    sheet: h.payload.sheet,
    rowStart: h.payload.rowStart,
    rowEnd: h.payload.rowEnd,
    chunkIndex: h.payload.chunkIndex,
  };
}

/** Offset cursors: simple and stable for lists ordered by creation; opaque to clients. */
export function pageOf<T>(rows: T[], limit: number, offset: number): { items: T[]; nextCursor: string | null } {
  const hasMore = rows.length > limit;
  return { items: rows.slice(0, limit), nextCursor: hasMore ? String(offset + limit) : null };
}
