/** Catalog records as the API shows them; one mapping per shape so every route agrees. */
import type { BatchRecord, DocumentRecord } from '../adapters/catalog.js';
import type { BatchSummary, DocumentDetail } from '../core/contracts.js';

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
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

/** Offset cursors: simple and stable for lists ordered by creation; opaque to clients. */
export function pageOf<T>(rows: T[], limit: number, offset: number): { items: T[]; nextCursor: string | null } {
  const hasMore = rows.length > limit;
  return { items: rows.slice(0, limit), nextCursor: hasMore ? String(offset + limit) : null };
}
