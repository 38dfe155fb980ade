/**
 * Builds the batch view a client sees. Live state comes from workflow queries (the batch and
 * its running shards); the catalog supplies names and the durable record, and answers alone
 * once the batch is finished. Stateless: any API replica can serve any batch.
 */
import type { BatchRecord, Catalog, DocumentRecord } from '../adapters/catalog.js';
import type { BatchView, DocumentView } from '../core/contracts.js';
import { isTerminalBatch, type DocumentProgress } from '../core/progress.js';
import type { TemporalGateway } from './temporal-gateway.js';
import { readAllPages } from '../core/paging.js';

async function allDocuments(catalog: Catalog, batch: BatchRecord): Promise<DocumentRecord[]> {
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
  };
}

function overlay(record: DocumentRecord, live: DocumentProgress | undefined): DocumentView {
  if (!live) return documentFromCatalog(record);
  return { ...live, filename: record.filename, duplicateOf: record.duplicateOf };
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
    documents: records.map((r) => overlay(r, live.get(r.id))),
  });
  if (isTerminalBatch(batch.status)) return view(batch.status, batch.finalSeq ?? 0, new Map());

  const progress = await gateway.batchProgress(batch.workflowId);
  if (!progress) return view(batch.status, 0, new Map());
  const live = new Map<string, DocumentProgress>();
  let seq = progress.seq;
  for (const shard of progress.finishedShards) {
    seq += shard.seq;
    for (const d of shard.documents) live.set(d.documentId, d);
  }
  const running = await Promise.all(progress.runningShards.map((s) => gateway.shardProgress(s.workflowId)));
  for (const shard of running) {
    if (!shard) continue;
    seq += shard.seq;
    for (const d of shard.documents) live.set(d.documentId, d);
  }
  // The run reports its final status a moment before its last step writes it to the catalog.
  // Until then the batch is still running as far as retry, cancel and delete are concerned, so
  // the view says so too: a client that sees the end can act on it at once.
  return view(isTerminalBatch(progress.status) ? 'running' : progress.status, seq, live);
}
