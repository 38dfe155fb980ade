/**
 * Batch routes: upload a batch, read it, stream its progress. Every lookup is by
 * (tenant, batch id), so another tenant's batch is indistinguishable from a missing one.
 */
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { BatchListQuerySchema, type BatchListResponse, type CreateBatchResponse } from '../../core/contracts.js';
import { isTerminalBatch } from '../../core/progress.js';
import type { BatchRecord } from '../../adapters/catalog.js';
import { batchWorkflowId } from '../../workflows/definitions.js';
import { BatchAlreadyStartedError, MEMO_FILENAMES } from '../temporal-gateway.js';
import type { AuthVariables } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { ApiError, notFound } from '../errors.js';
import { readBatchView } from '../progress.js';
import { createProgressHubs, streamProgress } from '../progress-hub.js';
import { receiveFiles, statusForRejection } from '../uploads.js';
import { retryDocuments } from '../retry.js';
import { validQuery } from '../validation.js';
import { batchSummary, pageOf } from '../views.js';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,128}$/;
const ID = /^[A-Za-z0-9-]{1,64}$/;

/**
 * Starts a batch's first run; a run that exists already counts as started. When Temporal is
 * unavailable the files stay stored and the documents become cancelled (never queued forever),
 * so they can be retried once Temporal is back.
 */
async function startBatchRun(deps: ApiDeps, batch: Pick<BatchRecord, 'tenantId' | 'id' | 'documentCount'>, filenames?: string[]): Promise<void> {
  const { tenantId, id: batchId } = batch;
  const names = filenames ?? (await deps.catalog.listBatchDocuments(tenantId, batchId, 0, Math.min(batch.documentCount, MEMO_FILENAMES))).map((d) => d.filename);
  try {
    await deps.temporal.startBatch({ tenantId, batchId, documentCount: batch.documentCount, filenames: names, fanOut: deps.fanOut });
  } catch (err) {
    if (err instanceof BatchAlreadyStartedError) return;
    await deps.catalog.cancelOpenDocuments(tenantId, batchId, 1, 'The batch could not be started because Temporal was unavailable. Retry it.');
    await deps.catalog.setBatchStatus(tenantId, batchId, 'failed');
    deps.logger?.error('workflow start failed', { tenantId, batchId, error: (err as Error).message });
    throw new ApiError(503, 'temporal_unavailable', 'The batch was stored but could not be started; try again shortly.');
  }
}

/** Batch routes, mounted at /api/batches. */
export function batchRoutes(deps: ApiDeps) {
  const loadBatch = async (tenantId: string, batchId: string) => {
    const batch = ID.test(batchId) ? await deps.catalog.getBatch(tenantId, batchId) : null;
    if (!batch) throw notFound('batch');
    return batch;
  };

  // One progress reader per watched batch in this process, shared by all of its SSE clients.
  const hubs = createProgressHubs({ gateway: deps.temporal, catalog: deps.catalog, pollMs: deps.ssePollMs ?? 500, logger: deps.logger });

  return new Hono<{ Variables: AuthVariables }>()
    .get('/', async (c) => {
      const query = validQuery(BatchListQuerySchema, c.req.query());
      const offset = Number(query.cursor ?? 0);
      const rows = await deps.catalog.listBatches(c.get('tenantId'), { limit: query.limit + 1, offset, status: query.status });
      const page = pageOf(rows, query.limit, offset);
      const body: BatchListResponse = { batches: page.items.map(batchSummary), nextCursor: page.nextCursor };
      return c.json(body);
    })
    .post('/:batchId/cancel', async (c) => {
      const batch = await loadBatch(c.get('tenantId'), c.req.param('batchId'));
      if (isTerminalBatch(batch.status)) throw new ApiError(409, 'batch_finished', `The batch already ended (${batch.status}).`);
      await deps.temporal.cancelBatch(batch.workflowId);
      return c.json(await readBatchView(deps.temporal, deps.catalog, batch, deps.settleEndedRun), 202);
    })
    .post('/:batchId/retry', async (c) => {
      const batch = await loadBatch(c.get('tenantId'), c.req.param('batchId'));
      return c.json(await retryDocuments(deps, batch, 'all'), 202);
    })
    .post('/', async (c) => {
      const tenantId = c.get('tenantId');
      const idempotencyKey = c.req.header('idempotency-key') ?? null;
      if (idempotencyKey !== null && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
        throw new ApiError(400, 'bad_request', 'Idempotency-Key must be 1-128 characters of A-Z a-z 0-9 _ . : -');
      }
      if (idempotencyKey) {
        const existing = await deps.catalog.findBatchByIdempotencyKey(tenantId, idempotencyKey);
        if (existing) {
          // The first request may have died between writing the catalog and starting the run
          // (an API crash): the replay starts it, and a run that exists already is left alone.
          if (existing.currentRun === 1 && !isTerminalBatch(existing.status)) await startBatchRun(deps, existing);
          const docs = await deps.catalog.listBatchDocuments(tenantId, existing.id, 0, existing.documentCount);
          const body: CreateBatchResponse = {
            batchId: existing.id,
            documents: docs.map((d) => ({ documentId: d.id, filename: d.filename, status: d.status })),
          };
          return c.json({ ...body, rejected: [], replayed: true }, 202);
        }
      }
      const reindex = c.req.query('reindex') === 'true';
      const { accepted, rejected } = await receiveFiles(c.req.raw, deps.blobs, deps.inspectFile, deps.limits);
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
      const documents = [];
      for (const file of accepted) {
        const blobKey = await deps.blobs.commit(file.staged);
        const existing = reindex ? null : await deps.catalog.findIndexedByHash(tenantId, file.staged.sha256);
        documents.push({
          id: randomUUID(),
          filename: file.filename,
          format: file.format,
          contentHash: file.staged.sha256,
          size: file.staged.size,
          blobKey,
          duplicateOf: existing?.id ?? null,
        });
      }
      const workflowId = batchWorkflowId(tenantId, batchId);
      await deps.catalog.createBatch({ id: batchId, tenantId, workflowId, documentCount: documents.length, idempotencyKey }, documents);
      await startBatchRun(
        deps,
        { tenantId, id: batchId, documentCount: documents.length },
        documents.map((d) => d.filename),
      );
      const body: CreateBatchResponse = {
        batchId,
        documents: documents.map((d) => ({ documentId: d.id, filename: d.filename, status: d.duplicateOf ? 'skipped' : 'queued' })),
      };
      return c.json({ ...body, rejected }, 202);
    })
    .get('/:batchId', async (c) => {
      const batch = await loadBatch(c.get('tenantId'), c.req.param('batchId'));
      return c.json(await readBatchView(deps.temporal, deps.catalog, batch, deps.settleEndedRun));
    })
    .get('/:batchId/events', async (c) => {
      const batch = await loadBatch(c.get('tenantId'), c.req.param('batchId'));
      return streamProgress(c, hubs, batch, c.req.header('last-event-id'));
    });
}
