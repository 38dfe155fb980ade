/**
 * Document routes, mounted at /api/documents: list, read, its chunks (the inspector), retry one,
 * re-index one, delete. Retry, re-index and delete are batch-service use cases; the reads come
 * straight from the catalog.
 */
import { z } from 'zod';
import {
  ChunkListQuerySchema,
  DeleteDocumentResponseSchema,
  DocumentChunksResponseSchema,
  DocumentDetailSchema,
  DocumentListQuerySchema,
  DocumentListResponseSchema,
  ReindexRequestSchema,
  ReindexResponseSchema,
  RetryResponseSchema,
} from '../../core/contracts.js';
import type { BatchService } from '../batch-service.js';
import type { ApiDeps } from '../deps.js';
import { notFound } from '../errors.js';
import { documentChunkPage } from '../inspector.js';
import { createRouter, errorResponse, idParam, jsonResponse, tenantRoute } from '../openapi.js';
import { documentDetail, pageOf } from '../views.js';

const DocumentParams = z.object({ documentId: idParam('A documentId from an upload, a batch or a document listing.') });
const tags = ['documents'];
const missing = errorResponse('No such document for this tenant.');

const listDocuments = tenantRoute({
  method: 'get',
  path: '/',
  operationId: 'listDocuments',
  summary: "The tenant's documents",
  description: 'Filter by status or batch; pages with `limit` and the opaque `nextCursor` of the previous page.',
  tags,
  request: { query: DocumentListQuerySchema },
  responses: { 200: jsonResponse(DocumentListResponseSchema, 'One page of documents.'), 400: errorResponse('A query parameter is invalid.') },
});

const getDocument = tenantRoute({
  method: 'get',
  path: '/{documentId}',
  operationId: 'getDocument',
  summary: 'One document',
  tags,
  request: { params: DocumentParams },
  responses: { 200: jsonResponse(DocumentDetailSchema, 'The document.'), 404: missing },
});

const listDocumentChunks = tenantRoute({
  method: 'get',
  path: '/{documentId}/chunks',
  operationId: 'listDocumentChunks',
  summary: "The document's chunks, as indexed (the inspector)",
  description:
    'Per chunk its index, text, token count and provenance (page, sheet and rows, heading path, character offsets in the extracted text, OCR confidence), for the version on the document record. `cursor` is the index of the first chunk to return.',
  tags,
  request: { params: DocumentParams, query: ChunkListQuerySchema },
  responses: { 200: jsonResponse(DocumentChunksResponseSchema, 'One page of chunks.'), 400: errorResponse('A query parameter is invalid.'), 404: missing },
});

const retryDocument = tenantRoute({
  method: 'post',
  path: '/{documentId}/retry',
  operationId: 'retryDocument',
  summary: 'Retry one failed or cancelled document',
  tags,
  request: { params: DocumentParams },
  responses: {
    202: jsonResponse(RetryResponseSchema, 'The retry run started.'),
    404: missing,
    409: errorResponse('The document is not failed or cancelled, or its batch is still running.'),
    503: errorResponse('The retry could not be started; try again.'),
  },
});

const reindexDocument = tenantRoute({
  method: 'post',
  path: '/{documentId}/reindex',
  operationId: 'reindexDocument',
  summary: 'Re-index one indexed document',
  description:
    "Starts a new run of the document's batch that builds the document's next version beside the current one, optionally with other chunk sizes. Search keeps answering from the current version until the new one is complete, then switches to it and the old version's vectors are removed; if the re-index fails or is cancelled the current version stays.",
  tags,
  request: {
    params: DocumentParams,
    body: { required: false, description: 'Optional chunk sizes; the configured ones when left out.', content: { 'application/json': { schema: ReindexRequestSchema } } },
  },
  responses: {
    202: jsonResponse(ReindexResponseSchema, 'The re-index run started.'),
    400: errorResponse('The body is not a valid re-index request.'),
    404: missing,
    409: errorResponse('The document is not indexed (code `not_indexed`), is being re-indexed, or its batch is still running (code `batch_running`).'),
    415: errorResponse('The body is not application/json.'),
    503: errorResponse('The re-index could not be started; try again.'),
  },
});

const deleteDocument = tenantRoute({
  method: 'delete',
  path: '/{documentId}',
  operationId: 'deleteDocument',
  summary: 'Delete a document, its vectors and its stored file',
  tags,
  request: { params: DocumentParams },
  responses: {
    200: jsonResponse(DeleteDocumentResponseSchema, 'Deleted; no vectors remain.'),
    404: missing,
    409: errorResponse('Its batch is still running (code `batch_running`).'),
    503: errorResponse('The vector store still reports vectors; repeat the delete.'),
  },
});

/** Document routes over the catalog and the batch service. */
export function documentRoutes(deps: ApiDeps, batches: BatchService) {
  return createRouter()
    .openapi(listDocuments, async (c) => {
      const query = c.req.valid('query');
      const offset = Number(query.cursor ?? 0);
      const rows = await deps.catalog.listDocuments(c.get('tenantId'), { limit: query.limit + 1, offset, status: query.status, batchId: query.batchId });
      const page = pageOf(rows, query.limit, offset);
      return c.json({ documents: page.items.map(documentDetail), nextCursor: page.nextCursor }, 200);
    })
    .openapi(getDocument, async (c) => {
      const doc = await deps.catalog.getDocument(c.get('tenantId'), c.req.valid('param').documentId);
      if (!doc) throw notFound('document');
      return c.json(documentDetail(doc), 200);
    })
    .openapi(listDocumentChunks, async (c) => {
      const doc = await deps.catalog.getDocument(c.get('tenantId'), c.req.valid('param').documentId);
      if (!doc) throw notFound('document');
      return c.json(await documentChunkPage(deps.vectors, doc, c.req.valid('query')), 200);
    })
    .openapi(retryDocument, async (c) => c.json(await batches.retryDocument(c.get('tenantId'), c.req.valid('param').documentId), 202))
    .openapi(reindexDocument, async (c) => c.json(await batches.reindexDocument(c.get('tenantId'), c.req.valid('param').documentId, c.req.valid('json')), 202))
    .openapi(deleteDocument, async (c) => c.json(await batches.deleteDocument(c.get('tenantId'), c.req.valid('param').documentId), 200));
}
