/** Semantic search over the caller's own collection; the tenant comes from the key, never the body. */
import { SearchRequestSchema, SearchResponseSchema, type SearchResponse } from '../../core/contracts.js';
import type { ApiDeps } from '../deps.js';
import { createRouter, errorResponse, jsonResponse, tenantRoute } from '../openapi.js';

const search = tenantRoute({
  method: 'post',
  path: '/',
  operationId: 'search',
  summary: "Semantic search over the tenant's documents",
  description: 'Optionally restricted to some documents and/or batches of the tenant with documentIds and batchIds.',
  tags: ['search'],
  request: { body: { required: true, content: { 'application/json': { schema: SearchRequestSchema } } } },
  responses: {
    200: jsonResponse(SearchResponseSchema, 'The best matching chunks.'),
    400: errorResponse('The body is not a valid search request.'),
    415: errorResponse('The body is not application/json.'),
  },
});

export function searchRoutes(deps: ApiDeps) {
  return createRouter().openapi(search, async (c) => {
    const request = c.req.valid('json');
    const tenantId = c.get('tenantId');
    const [vector] = await deps.embedder.embed([request.query], 'query');
    const hits = await deps.vectors.search(tenantId, vector, request.limit, { documentIds: request.documentIds, batchIds: request.batchIds });
    const response: SearchResponse = {
      results: hits.map((h) => ({
        documentId: h.payload.documentId,
        batchId: h.payload.batchId,
        filename: h.payload.filename,
        text: h.payload.text,
        score: h.score,
        page: h.payload.page,
        heading: h.payload.heading,
        sheet: h.payload.sheet,
        rowStart: h.payload.rowStart,
        rowEnd: h.payload.rowEnd,
        chunkIndex: h.payload.chunkIndex,
      })),
    };
    return c.json(response, 200);
  });
}
