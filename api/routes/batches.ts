/**
 * Batch routes, mounted at /api/batches: upload a batch, list, read, cancel, retry, and stream
 * its progress. Each handler parses, calls the batch service, answers; the rules live there.
 */
import { z } from 'zod';
import { CreateBatchResultSchema } from '../../core/api-schemas.js';
import {
  BatchListQuerySchema,
  BatchListResponseSchema,
  BatchViewSchema,
  IdempotencyKeySchema,
  ReindexRequestSchema,
  ReindexResponseSchema,
  RetryResponseSchema,
} from '../../core/contracts.js';
import type { BatchService } from '../batch-service.js';
import type { ApiDeps } from '../deps.js';
import { createRouter, errorResponse, idParam, jsonResponse, tenantRoute } from '../openapi.js';
import { createProgressHubs, streamProgress } from '../progress-hub.js';
import { batchSummary, pageOf } from '../views.js';

const BatchParams = z.object({ batchId: idParam('The id returned by POST /api/batches.') });
const tags = ['batches'];
const missing = errorResponse('No such batch for this tenant.');

const listBatches = tenantRoute({
  method: 'get',
  path: '/',
  operationId: 'listBatches',
  summary: "The tenant's batches, newest first",
  description: 'Pages with `limit` and the opaque `nextCursor` of the previous page.',
  tags,
  request: { query: BatchListQuerySchema },
  responses: { 200: jsonResponse(BatchListResponseSchema, 'One page of batches.'), 400: errorResponse('A query parameter is invalid.') },
});

const createBatch = tenantRoute({
  method: 'post',
  path: '/',
  operationId: 'createBatch',
  summary: 'Upload a batch of documents',
  description:
    'Multipart upload; every part named `files` is one document, streamed to storage as it arrives (never buffered whole). Refused files are listed in `rejected`; when every file is refused the answer is a 4xx with the first reason. Content the tenant already indexed is `skipped` unless reindex=true.',
  tags,
  request: {
    query: z.object({ reindex: z.enum(['true', 'false']).optional().meta({ description: 'Index content again even if this tenant already indexed it.' }) }),
    headers: z.object({ 'idempotency-key': IdempotencyKeySchema.optional().meta({ description: 'Makes a retried upload return the first batch instead of creating another.' }) }),
    body: {
      required: true,
      // A plain JSON Schema, not zod: the framework would otherwise read the whole body to validate
      // it. The upload module streams the parts itself and enforces the limits as they arrive.
      content: {
        'multipart/form-data': {
          schema: {
            type: 'object',
            properties: { files: { type: 'array', items: { type: 'string', contentMediaType: 'application/octet-stream' } } },
            required: ['files'],
          },
        },
      },
    },
  },
  responses: {
    202: jsonResponse(CreateBatchResultSchema, 'The batch was stored and its workflow started.'),
    400: errorResponse('No files, or every file was refused (e.g. empty_file), or a bad Idempotency-Key.'),
    413: errorResponse('A file, the request or the file count is over the limit.'),
    415: errorResponse('Not multipart/form-data, or every file was of a refused type.'),
    422: errorResponse('Every file was refused as unsafe.'),
    503: errorResponse('Stored, but the workflow could not be started; retry.'),
  },
});

const getBatch = tenantRoute({
  method: 'get',
  path: '/{batchId}',
  operationId: 'getBatch',
  summary: 'A batch and the progress of its documents',
  tags,
  request: { params: BatchParams },
  responses: { 200: jsonResponse(BatchViewSchema, 'The batch.'), 404: missing },
});

const streamBatchEvents = tenantRoute({
  method: 'get',
  path: '/{batchId}/events',
  operationId: 'streamBatchEvents',
  summary: 'Live progress of a batch (server-sent events)',
  description:
    "A text/event-stream whose frames carry `id: <seq>`: one `event: snapshot` (a BatchView as JSON), then `event: progress` frames with only the documents that changed (each complete, as a BatchDelta), then one `event: done` bringing the view to the catalog's final state. A progress or done frame holds at most 48 KiB of JSON: a larger delta is split into consecutive `progress` frames of whole documents, and only the last part carries the `id` (for a large done, the last part is the `done`); the leading parts say status `running` and the seq the client already has. Works with the session cookie, so EventSource can use it; a reconnect with Last-Event-ID (the previous seq after a cut mid-split) resumes with a new snapshot.",
  tags,
  request: {
    params: BatchParams,
    headers: z.object({ 'last-event-id': z.string().max(32).optional().meta({ description: 'Resume after this seq; sent by EventSource on reconnect.' }) }),
  },
  responses: {
    200: { description: 'The event stream.', content: { 'text/event-stream': { schema: { type: 'string' } } } },
    404: missing,
  },
});

const cancelBatch = tenantRoute({
  method: 'post',
  path: '/{batchId}/cancel',
  operationId: 'cancelBatch',
  summary: 'Cancel a running batch',
  description: 'Requests cancellation; the workflow removes partial vectors of unfinished documents before it ends.',
  tags,
  request: { params: BatchParams },
  responses: {
    202: jsonResponse(BatchViewSchema, 'Cancellation requested; the current view.'),
    404: missing,
    409: errorResponse('The batch already ended (code `batch_finished`).'),
  },
});

const retryBatch = tenantRoute({
  method: 'post',
  path: '/{batchId}/retry',
  operationId: 'retryBatch',
  summary: 'Retry the failed and cancelled documents of a batch',
  description: 'Starts a new run of the batch for those documents; steps that already succeeded are not repeated.',
  tags,
  request: { params: BatchParams },
  responses: {
    202: jsonResponse(RetryResponseSchema, 'The retry run started.'),
    404: missing,
    409: errorResponse('The batch is still running, or nothing needs a retry.'),
    503: errorResponse('The retry could not be started; try again.'),
  },
});

const reindexBatch = tenantRoute({
  method: 'post',
  path: '/{batchId}/reindex',
  operationId: 'reindexBatch',
  summary: 'Re-index every indexed document of a batch',
  description:
    "Starts a new run of the batch that builds each indexed document's next version beside the current one, optionally with other chunk sizes. Search keeps answering from the current version until the new one is complete, then switches to it and the old version's vectors are removed; a document whose re-index fails or is cancelled keeps its current version.",
  tags,
  request: {
    params: BatchParams,
    body: { required: false, description: 'Optional chunk sizes; the configured ones when left out.', content: { 'application/json': { schema: ReindexRequestSchema } } },
  },
  responses: {
    202: jsonResponse(ReindexResponseSchema, 'The re-index run started.'),
    400: errorResponse('The body is not a valid re-index request.'),
    404: missing,
    409: errorResponse('The batch is still running (code `batch_running`), or has no indexed document (code `nothing_to_reindex`).'),
    415: errorResponse('The body is not application/json.'),
    503: errorResponse('The re-index could not be started; try again.'),
  },
});

/** Batch routes over the batch service. */
export function batchRoutes(deps: ApiDeps, batches: BatchService) {
  // One progress reader per watched batch in this process, shared by all of its SSE clients.
  const hubs = createProgressHubs({ gateway: deps.temporal, catalog: deps.catalog, pollMs: deps.ssePollMs ?? 500, logger: deps.logger });

  return createRouter()
    .openapi(listBatches, async (c) => {
      const query = c.req.valid('query');
      const offset = Number(query.cursor ?? 0);
      const rows = await deps.catalog.listBatches(c.get('tenantId'), { limit: query.limit + 1, offset, status: query.status });
      const page = pageOf(rows, query.limit, offset);
      return c.json({ batches: page.items.map(batchSummary), nextCursor: page.nextCursor }, 200);
    })
    .openapi(createBatch, async (c) => {
      const result = await batches.upload(c.get('tenantId'), c.req.raw, {
        idempotencyKey: c.req.valid('header')['idempotency-key'] ?? null,
        reindex: c.req.valid('query').reindex === 'true',
      });
      return c.json(result, 202);
    })
    .openapi(getBatch, async (c) => c.json(await batches.view(c.get('tenantId'), c.req.valid('param').batchId), 200))
    .openapi(streamBatchEvents, async (c) => {
      const batch = await batches.record(c.get('tenantId'), c.req.valid('param').batchId); // 404 before the stream opens
      return streamProgress(c, hubs, batch, c.req.valid('header')['last-event-id']);
    })
    .openapi(cancelBatch, async (c) => c.json(await batches.cancel(c.get('tenantId'), c.req.valid('param').batchId), 202))
    .openapi(retryBatch, async (c) => c.json(await batches.retryBatch(c.get('tenantId'), c.req.valid('param').batchId), 202))
    .openapi(reindexBatch, async (c) => c.json(await batches.reindexBatch(c.get('tenantId'), c.req.valid('param').batchId, c.req.valid('json')), 202));
}
