/**
 * Document routes: list, read, its chunks (the inspector), retry one, delete. Deleting removes
 * the vectors (and checks the store agrees none are left), the intermediate artifacts, the
 * stored file when no other document shares its content, and finally the catalog row.
 */
import { Hono } from 'hono';
import { ChunkListQuerySchema, DocumentListQuerySchema, type DeleteDocumentResponse, type DocumentListResponse } from '../../core/contracts.js';
import { isTerminalBatch } from '../../core/progress.js';
import type { AuthVariables } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { ApiError, notFound } from '../errors.js';
import { documentChunkPage } from '../inspector.js';
import { retryDocuments } from '../retry.js';
import { validQuery } from '../validation.js';
import { documentDetail, pageOf } from '../views.js';

const ID = /^[A-Za-z0-9-]{1,64}$/;

/** Document routes, mounted at /api/documents. */
export function documentRoutes(deps: ApiDeps) {
  const loadDocument = async (tenantId: string, documentId: string) => {
    const doc = ID.test(documentId) ? await deps.catalog.getDocument(tenantId, documentId) : null;
    if (!doc) throw notFound('document');
    return doc;
  };

  return new Hono<{ Variables: AuthVariables }>()
    .get('/', async (c) => {
      const query = validQuery(DocumentListQuerySchema, c.req.query());
      const offset = Number(query.cursor ?? 0);
      const rows = await deps.catalog.listDocuments(c.get('tenantId'), { limit: query.limit + 1, offset, status: query.status, batchId: query.batchId });
      const page = pageOf(rows, query.limit, offset);
      const body: DocumentListResponse = { documents: page.items.map(documentDetail), nextCursor: page.nextCursor };
      return c.json(body);
    })
    .get('/:documentId', async (c) => {
      return c.json(documentDetail(await loadDocument(c.get('tenantId'), c.req.param('documentId'))));
    })
    .get('/:documentId/chunks', async (c) => {
      const doc = await loadDocument(c.get('tenantId'), c.req.param('documentId'));
      return c.json(await documentChunkPage(deps.vectors, doc, validQuery(ChunkListQuerySchema, c.req.query())));
    })
    .post('/:documentId/retry', async (c) => {
      const tenantId = c.get('tenantId');
      const doc = await loadDocument(tenantId, c.req.param('documentId'));
      if (doc.status !== 'failed' && doc.status !== 'cancelled') {
        throw new ApiError(409, 'not_retryable', `Only failed or cancelled documents can be retried (this one is ${doc.status}).`);
      }
      const batch = await deps.catalog.getBatch(tenantId, doc.batchId);
      if (!batch) throw notFound('document');
      return c.json(await retryDocuments(deps, batch, [doc.id]), 202);
    })
    .delete('/:documentId', async (c) => {
      const tenantId = c.get('tenantId');
      const doc = await loadDocument(tenantId, c.req.param('documentId'));
      const batch = await deps.catalog.getBatch(tenantId, doc.batchId);
      if (batch && !isTerminalBatch(batch.status)) {
        throw new ApiError(409, 'batch_running', 'The document belongs to a batch that is still running; cancel it or wait.');
      }
      await deps.vectors.deleteDocument(tenantId, doc.id);
      const left = await deps.vectors.countDocument(tenantId, doc.id);
      if (left !== 0) throw new ApiError(503, 'delete_incomplete', `The vector store still reports ${left} vectors; the delete can be repeated.`);
      await deps.blobs.deleteArtifacts(`${tenantId}/${doc.id}`);
      const removed = await deps.catalog.deleteDocument(tenantId, doc.id);
      if (removed && !removed.blobStillUsed) await deps.blobs.deleteBlob(removed.blobKey);
      const body: DeleteDocumentResponse = { documentId: doc.id, deleted: true, vectorsRemaining: 0 };
      return c.json(body);
    });
}
