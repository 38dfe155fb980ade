/**
 * The batch use cases, between the routes and the stores: upload (store → catalog → start),
 * cancel, retry (a batch or one document), delete a document, and the batch view. Routes parse
 * the request, call one method and write the answer; every rule about when something may happen
 * lives here, with its compensation:
 *
 * - A run that Temporal refuses to start leaves its files stored and its documents `cancelled`
 *   with the reason (never queued forever), and the batch `failed`, so it can be retried.
 * - A run that ended behind the catalog's back (an operator terminated it, say) is settled
 *   before a write decides anything, so cancel, retry and delete see the truth. Reads never
 *   write: a GET shows what the catalog and the run say, and the reconciliation schedule
 *   settles such batches for everyone.
 *
 * Every lookup is by (tenant, id), so another tenant's batch or document is indistinguishable
 * from a missing one.
 */
import { randomUUID } from 'node:crypto';
import type { BlobStore } from '../adapters/blob-store.js';
import type { BatchRecord, Catalog, NewDocument } from '../adapters/catalog.js';
import type { VectorStore } from '../adapters/vector-store.js';
import type { RejectedFile } from '../core/api-schemas.js';
import type { BatchView, CreateBatchResponse, DeleteDocumentResponse, ReindexRequest, ReindexResponse, RetryResponse } from '../core/contracts.js';
import type { Logger } from '../core/logger.js';
import { isTerminalBatch } from '../core/progress.js';
import { batchWorkflowId, type FanOutOptions, type ReindexOptions } from '../workflows/definitions.js';
import type { ApiMetrics } from './deps.js';
import { ApiError, notFound } from './errors.js';
import { readBatchView } from './progress.js';
import { BatchAlreadyStartedError, MEMO_FILENAMES, type TemporalGateway } from './temporal-gateway.js';
import { receiveFiles, statusForRejection, type FileInspector, type UploadLimits } from './uploads.js';

/** What the use cases need; the app passes its own dependencies. */
export interface BatchServiceDeps {
  catalog: Catalog;
  blobs: BlobStore;
  vectors: VectorStore;
  temporal: TemporalGateway;
  inspectFile: FileInspector;
  limits: UploadLimits;
  logger: Logger;
  fanOut?: Partial<FanOutOptions>;
  metrics?: ApiMetrics;
  /** Records the outcome of a batch whose run ended without writing it; see ApiDeps. */
  settleEndedRun?: (batch: BatchRecord) => Promise<unknown>;
}

/** The whole upload answer; `replayed` when an Idempotency-Key matched an earlier upload. */
export interface UploadResult extends CreateBatchResponse {
  rejected: RejectedFile[];
  replayed?: true;
}

/** Why documents of a run that never started are cancelled, in words a user can act on. */
const NOT_STARTED = 'The run could not be started because Temporal was unavailable. Retry it.';

export type BatchService = ReturnType<typeof createBatchService>;

export function createBatchService(deps: BatchServiceDeps) {
  const { catalog } = deps;

  const loadBatch = async (tenantId: string, batchId: string): Promise<BatchRecord> => {
    const batch = await catalog.getBatch(tenantId, batchId);
    if (!batch) throw notFound('batch');
    return batch;
  };

  const loadDocument = async (tenantId: string, documentId: string) => {
    const doc = await catalog.getDocument(tenantId, documentId);
    if (!doc) throw notFound('document');
    return doc;
  };

  /** The batch as it really stands: a `running` batch whose run has ended is settled first. */
  const settled = async (batch: BatchRecord): Promise<BatchRecord> => {
    if (batch.status !== 'running' || !deps.settleEndedRun) return batch;
    await deps.settleEndedRun(batch);
    return (await catalog.getBatch(batch.tenantId, batch.id)) ?? batch;
  };

  /**
   * Starts run `run` of a batch over `documentCount` documents. A run that exists already counts
   * as started (a replayed upload). When Temporal refuses, the compensation above applies.
   */
  const startRun = async (
    batch: Pick<BatchRecord, 'tenantId' | 'id'>,
    run: number,
    documentCount: number,
    filenames?: string[],
    reindex?: { options: ReindexOptions; undo: () => Promise<void> },
  ): Promise<void> => {
    const { tenantId, id: batchId } = batch;
    // The run's memo names its files for people reading runs in the Temporal Web UI.
    const names = filenames ?? (await catalog.listBatchDocuments(tenantId, batchId, 0, MEMO_FILENAMES, run)).map((d) => d.filename);
    try {
      await deps.temporal.startBatch({ tenantId, batchId, documentCount, filenames: names, fanOut: deps.fanOut, run, ...(reindex ? { reindex: reindex.options } : {}) });
    } catch (err) {
      if (err instanceof BatchAlreadyStartedError) return;
      if (reindex) {
        // Nothing was built: the documents stay indexed as they were, and so does the batch.
        await reindex.undo();
        deps.logger.error('workflow start failed', { tenantId, batchId, run, error: (err as Error).message });
        throw new ApiError(503, 'temporal_unavailable', 'The re-index could not be started; try again shortly.');
      }
      await catalog.cancelOpenDocuments(tenantId, batchId, run, NOT_STARTED);
      await catalog.setBatchStatus(tenantId, batchId, 'failed');
      deps.logger.error('workflow start failed', { tenantId, batchId, run, error: (err as Error).message });
      const what = run === 1 ? 'The batch was stored but could not be started' : 'The retry could not be started';
      throw new ApiError(503, 'temporal_unavailable', `${what}; try again shortly.`);
    }
  };

  /** A batch answered again for a repeated Idempotency-Key, starting its run if the first request died before. */
  const replay = async (existing: BatchRecord): Promise<UploadResult> => {
    if (existing.currentRun === 1 && !isTerminalBatch(existing.status)) await startRun(existing, 1, existing.documentCount);
    const docs = await catalog.listBatchDocuments(existing.tenantId, existing.id, 0, existing.documentCount);
    return {
      batchId: existing.id,
      documents: docs.map((d) => ({ documentId: d.id, filename: d.filename, status: d.status })),
      rejected: [],
      replayed: true,
    };
  };

  /** Starts a new run for the failed and cancelled documents among `documentIds` (or all of them). */
  const retry = async (found: BatchRecord, documentIds: string[] | 'all'): Promise<RetryResponse> => {
    const batch = await settled(found);
    const started = await catalog.startRetry(batch.tenantId, batch.id, documentIds, (run) => batchWorkflowId(batch.tenantId, batch.id, run));
    if (!started) throw new ApiError(409, 'batch_running', 'The batch is still running; wait for it to finish or cancel it first.');
    if (started.documentIds.length === 0) throw new ApiError(409, 'nothing_to_retry', 'There is no failed or cancelled document to retry.');
    await startRun(batch, started.run, started.documentIds.length);
    return { batchId: batch.id, run: started.run, documentIds: started.documentIds };
  };

  /**
   * Starts a re-index run over the indexed documents among `documentIds` (or all of the batch's):
   * each gets its next version built beside the active one, with the asked-for chunk sizes.
   */
  const reindex = async (found: BatchRecord, documentIds: string[] | 'all', request: ReindexRequest): Promise<ReindexResponse> => {
    const batch = await settled(found);
    const started = await catalog.startReindex(batch.tenantId, batch.id, documentIds, (run) => batchWorkflowId(batch.tenantId, batch.id, run));
    if (!started) throw new ApiError(409, 'batch_running', 'The batch is still running; wait for it to finish or cancel it first.');
    if (started.documentIds.length === 0) throw new ApiError(409, 'nothing_to_reindex', 'There is no indexed document to re-index.');
    const options: ReindexOptions = {};
    if (request.maxTokens !== undefined) options.maxTokens = request.maxTokens;
    if (request.overlapTokens !== undefined) options.overlapTokens = request.overlapTokens;
    const undo = async () => {
      await catalog.settleVersions(batch.tenantId, started.documentIds);
      await catalog.setBatchStatus(batch.tenantId, batch.id, batch.status, batch.finalSeq ?? undefined);
    };
    await startRun(batch, started.run, started.documentIds.length, undefined, { options, undo });
    return { batchId: batch.id, run: started.run, documentIds: started.documentIds };
  };

  return {
    /**
     * Upload: each file is streamed to staged storage and checked, the accepted ones are
     * committed and recorded with their batch, then the run starts. Refused files are reported
     * and cost nothing; when every file is refused the first reason is the answer.
     */
    async upload(tenantId: string, request: Request, options: { idempotencyKey: string | null; reindex: boolean }): Promise<UploadResult> {
      if (options.idempotencyKey) {
        const existing = await catalog.findBatchByIdempotencyKey(tenantId, options.idempotencyKey);
        if (existing) return replay(existing);
      }
      const { accepted, rejected } = await receiveFiles(request, deps.blobs, deps.inspectFile, deps.limits);
      deps.metrics?.countUploads(
        accepted.length,
        rejected.map((r) => r.code),
      );
      if (accepted.length === 0) {
        if (rejected.length === 0) throw new ApiError(400, 'no_files', 'Attach one or more files in parts named "files".');
        const first = rejected[0];
        throw new ApiError(statusForRejection(first.code), first.code, `${first.filename}: ${first.message}`);
      }

      const batchId = randomUUID();
      const documents: NewDocument[] = [];
      for (const file of accepted) {
        const blobKey = await deps.blobs.commit(file.staged);
        const duplicate = options.reindex ? null : await catalog.findIndexedByHash(tenantId, file.staged.sha256);
        documents.push({
          id: randomUUID(),
          filename: file.filename,
          format: file.format,
          contentHash: file.staged.sha256,
          size: file.staged.size,
          blobKey,
          duplicateOf: duplicate?.id ?? null,
        });
      }
      const workflowId = batchWorkflowId(tenantId, batchId);
      await catalog.createBatch({ id: batchId, tenantId, workflowId, documentCount: documents.length, idempotencyKey: options.idempotencyKey }, documents);
      await startRun(
        { tenantId, id: batchId },
        1,
        documents.length,
        documents.map((d) => d.filename),
      );
      return {
        batchId,
        documents: documents.map((d) => ({ documentId: d.id, filename: d.filename, status: d.duplicateOf ? 'skipped' : 'queued' })),
        rejected,
      };
    },

    /** The batch's record; 404 when this tenant has no such batch. */
    record: loadBatch,

    /** The batch and the live progress of its documents; reads only. */
    async view(tenantId: string, batchId: string): Promise<BatchView> {
      return readBatchView(deps.temporal, catalog, await loadBatch(tenantId, batchId));
    },

    /** Asks the run to stop; its documents not yet indexed end `cancelled`, with no partial vectors. */
    async cancel(tenantId: string, batchId: string): Promise<BatchView> {
      const batch = await settled(await loadBatch(tenantId, batchId));
      if (isTerminalBatch(batch.status)) throw new ApiError(409, 'batch_finished', `The batch already ended (${batch.status}).`);
      await deps.temporal.cancelBatch(batch.workflowId);
      return readBatchView(deps.temporal, catalog, batch);
    },

    /** Retries every failed or cancelled document of a batch as its next run. */
    async retryBatch(tenantId: string, batchId: string): Promise<RetryResponse> {
      return retry(await loadBatch(tenantId, batchId), 'all');
    },

    /** Retries one failed or cancelled document as the next run of its batch. */
    async retryDocument(tenantId: string, documentId: string): Promise<RetryResponse> {
      const doc = await loadDocument(tenantId, documentId);
      if (doc.status !== 'failed' && doc.status !== 'cancelled') {
        throw new ApiError(409, 'not_retryable', `Only failed or cancelled documents can be retried (this one is ${doc.status}).`);
      }
      const batch = await catalog.getBatch(tenantId, doc.batchId);
      if (!batch) throw notFound('document');
      return retry(batch, [doc.id]);
    },

    /** Re-indexes every indexed document of a batch as its next run. */
    async reindexBatch(tenantId: string, batchId: string, request: ReindexRequest): Promise<ReindexResponse> {
      return reindex(await loadBatch(tenantId, batchId), 'all', request);
    },

    /** Re-indexes one indexed document as the next run of its batch; search keeps answering from its current version meanwhile. */
    async reindexDocument(tenantId: string, documentId: string, request: ReindexRequest): Promise<ReindexResponse> {
      const doc = await loadDocument(tenantId, documentId);
      if (doc.status !== 'indexed' || doc.duplicateOf !== null) {
        throw new ApiError(409, 'not_indexed', `Only indexed documents can be re-indexed (this one is ${doc.duplicateOf ? 'a duplicate' : doc.status}).`);
      }
      const batch = await catalog.getBatch(tenantId, doc.batchId);
      if (!batch) throw notFound('document');
      return reindex(batch, [doc.id], request);
    },

    /**
     * Removes a document's vectors (and checks the store agrees none are left), its intermediate
     * artifacts, the stored file when no other document shares its content, and finally its row.
     */
    async deleteDocument(tenantId: string, documentId: string): Promise<DeleteDocumentResponse> {
      const doc = await loadDocument(tenantId, documentId);
      const found = await catalog.getBatch(tenantId, doc.batchId);
      const batch = found ? await settled(found) : null;
      if (batch && !isTerminalBatch(batch.status)) {
        throw new ApiError(409, 'batch_running', 'The document belongs to a batch that is still running; cancel it or wait.');
      }
      await deps.vectors.deleteDocument(tenantId, doc.id);
      const left = await deps.vectors.countDocument(tenantId, doc.id);
      if (left !== 0) throw new ApiError(503, 'delete_incomplete', `The vector store still reports ${left} vectors; the delete can be repeated.`);
      await deps.blobs.deleteArtifacts(`${tenantId}/${doc.id}`);
      const removed = await catalog.deleteDocument(tenantId, doc.id);
      if (removed && !removed.blobStillUsed) await deps.blobs.deleteBlob(removed.blobKey);
      return { documentId: doc.id, deleted: true, vectorsRemaining: 0 };
    },
  };
}
