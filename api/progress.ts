/**
 * Builds the batch view a client sees. Live state comes from workflow queries (the batch and
 * its running shards); the catalog supplies names and the durable record, and answers alone
 * once the batch is finished. Stateless: any API replica can serve any batch.
 *
 * Live reads go through a cursor: the workflows answer "what changed since this seq", so a
 * reader that keeps its cursor (the SSE progress hub) pays per poll for what changed, not for
 * the size of the batch. A fresh cursor reads everything.
 */
import type { BatchRecord, Catalog, DocumentRecord } from '../adapters/catalog.js';
import type { BatchView, DocumentView } from '../core/contracts.js';
import { isTerminalBatch, type BatchStatus, type DocumentProgress } from '../core/progress.js';
import type { TemporalGateway } from './temporal-gateway.js';
import { readAllPages } from '../core/paging.js';

/** Every document row of a batch, in upload order. */
export async function allDocuments(catalog: Catalog, batch: Pick<BatchRecord, 'tenantId' | 'id'>): Promise<DocumentRecord[]> {
  return readAllPages((offset, limit) => catalog.listBatchDocuments(batch.tenantId, batch.id, offset, limit));
}

/** A document as the catalog records it. */
export function documentFromCatalog(d: DocumentRecord): DocumentView {
  return {
    documentId: d.id,
    filename: d.filename,
    status: d.status,
    chunks: d.chunks,
    chunksTotal: d.status === 'indexed' ? d.chunks : null,
    attempt: d.attempt,
    error: d.errorCode ? { code: d.errorCode, message: d.errorMessage ?? '' } : null,
    startedAt: d.startedAt,
    finishedAt: d.finishedAt,
    duplicateOf: d.duplicateOf,
    // Left out rather than null: views of documents without one stay as they were.
    ...(d.lastReindexFailure ? { reindexFailure: { code: d.lastReindexFailure.code, message: d.lastReindexFailure.message } } : {}),
  };
}

/** A live document state laid over what the view already knows of it (its name, its duplicate). */
export function withLive(known: Pick<DocumentView, 'filename' | 'duplicateOf'>, live: DocumentProgress): DocumentView {
  const { documentId, status, chunks, chunksTotal, attempt, error, startedAt, finishedAt } = live;
  return { documentId, filename: known.filename, status, chunks, chunksTotal, attempt, error, startedAt, finishedAt, duplicateOf: known.duplicateOf };
}

/** Where a reader stands in one run's progress: the batch's seq and each shard's. */
export interface ProgressCursor {
  workflowId: string;
  batchSeq: number;
  shardSeqs: Map<number, number>;
}

/** A cursor that has seen nothing of the run yet. */
export function freshCursor(workflowId: string): ProgressCursor {
  return { workflowId, batchSeq: -1, shardSeqs: new Map() };
}

/** What changed in a run since the cursor, and the run's seq now. */
export interface LiveChanges {
  status: BatchStatus;
  seq: number;
  documents: DocumentProgress[];
}

/**
 * Reads what changed since `cursor` and moves the cursor on; null when the run cannot be
 * queried (closed, or no worker answering). A shard that cannot be asked this time is asked
 * again next time from the same seq, or its final documents come with the batch's answer.
 */
export async function readLiveChanges(gateway: TemporalGateway, cursor: ProgressCursor): Promise<LiveChanges | null> {
  const batch = await gateway.batchChanges(cursor.workflowId, cursor.batchSeq);
  if (!batch) return null;
  const documents: DocumentProgress[] = [];
  for (const shard of batch.finishedShards) {
    if (shard.documents) documents.push(...shard.documents);
    cursor.shardSeqs.set(shard.shardIndex, shard.seq);
  }
  const running = await Promise.all(batch.runningShards.map((s) => gateway.shardChanges(s.workflowId, cursor.shardSeqs.get(s.shardIndex) ?? -1)));
  for (const shard of running) {
    if (!shard) continue;
    documents.push(...shard.documents);
    cursor.shardSeqs.set(shard.shardIndex, Math.max(shard.seq, cursor.shardSeqs.get(shard.shardIndex) ?? -1));
  }
  cursor.batchSeq = batch.seq;
  let seq = batch.seq;
  for (const shardSeq of cursor.shardSeqs.values()) seq += shardSeq;
  return { status: batch.status, seq, documents };
}

/**
 * The current view of a batch, with a seq that only grows. Reads only: when a running batch's
 * workflow cannot be queried the view is the catalog's, and a run that ended behind the
 * catalog's back is settled by the batch service or the reconciliation schedule, never here.
 */
export async function readBatchView(gateway: TemporalGateway, catalog: Catalog, batch: BatchRecord): Promise<BatchView> {
  const records = await allDocuments(catalog, batch);
  const view = (status: BatchView['status'], seq: number, live: Map<string, DocumentProgress>): BatchView => ({
    batchId: batch.id,
    status,
    createdAt: batch.createdAt,
    workflowId: batch.workflowId,
    seq,
    documents: records.map((r) => {
      const known = documentFromCatalog(r);
      const now = live.get(r.id);
      return now ? withLive(known, now) : known;
    }),
  });
  if (isTerminalBatch(batch.status)) return view(batch.status, batch.finalSeq ?? 0, new Map());

  const progress = await readLiveChanges(gateway, freshCursor(batch.workflowId));
  if (!progress) return view(batch.status, 0, new Map());
  // The run reports its final status a moment before its last step writes it to the catalog.
  // Until then the batch is still running as far as retry, cancel and delete are concerned, so
  // the view says so too: a client that sees the end can act on it at once.
  return view(isTerminalBatch(progress.status) ? 'running' : progress.status, progress.seq, new Map(progress.documents.map((d) => [d.documentId, d])));
}
