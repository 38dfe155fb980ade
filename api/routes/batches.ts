/**
 * Batch routes, mounted at /api/batches: upload a batch, list, read, cancel, retry, and stream
 * its progress. Each handler parses, calls the batch service, answers; the rules live there.
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { CreateBatchResultSchema } from '../../core/api-schemas.js';
import { BatchListQuerySchema, BatchListResponseSchema, BatchViewSchema, IdempotencyKeySchema, RetryResponseSchema } from '../../core/contracts.js';
import { isTerminalBatch } from '../../core/progress.js';
import type { BatchService } from '../batch-service.js';
import type { ApiDeps } from '../deps.js';
import { createRouter, errorResponse, idParam, jsonResponse, tenantRoute, type AppEnv } from '../openapi.js';
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
    'A text/event-stream of `event: progress` frames whose `id` is the snapshot seq and whose data is a BatchView as JSON, ending with one `event: done`. Works with the session cookie, so EventSource can use it.',
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

/** Batch routes over the batch service. */
export function batchRoutes(deps: ApiDeps, batches: BatchService) {
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
      const { batchId } = c.req.valid('param');
      await batches.view(c.get('tenantId'), batchId); // 404 before the stream opens
      return sendBatchEvents(c, batches, c.get('tenantId'), batchId, c.req.valid('header')['last-event-id'], deps.ssePollMs ?? 500);
    })
    .openapi(cancelBatch, async (c) => c.json(await batches.cancel(c.get('tenantId'), c.req.valid('param').batchId), 202))
    .openapi(retryBatch, async (c) => c.json(await batches.retryBatch(c.get('tenantId'), c.req.valid('param').batchId), 202));
}

/**
 * The SSE stream: polls the batch view and sends every snapshot newer than the client's last
 * one, keep-alive comments while nothing changes, and `done` once the batch ended.
 */
function sendBatchEvents(c: Context<AppEnv>, batches: BatchService, tenantId: string, batchId: string, lastEventIdHeader: string | undefined, pollMs: number) {
  const lastEventId = Number(lastEventIdHeader);
  let lastSeq = Number.isInteger(lastEventId) ? lastEventId : -1;
  return streamSSE(c, async (stream) => {
    let aborted = false;
    stream.onAbort(() => {
      aborted = true;
    });
    let idle = 0;
    while (!aborted) {
      const view = await batches.view(tenantId, batchId);
      const terminal = isTerminalBatch(view.status);
      if (view.seq > lastSeq || (terminal && lastSeq < 0)) {
        lastSeq = view.seq;
        idle = 0;
        await stream.writeSSE({ event: 'progress', id: String(view.seq), data: JSON.stringify(view) });
      } else if (++idle * pollMs >= 15_000) {
        idle = 0;
        await stream.write(': keep-alive\n\n'); // keeps proxies from closing an idle stream
      }
      if (terminal) {
        await stream.writeSSE({ event: 'done', id: String(view.seq), data: JSON.stringify(view) });
        return;
      }
      await stream.sleep(pollMs);
    }
  });
}
