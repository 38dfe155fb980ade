/**
 * Search over the caller's own collection, dense, keyword or hybrid (adapters/index-search.ts);
 * the tenant comes from the key, never the body.
 */
import { SearchRequestSchema, SearchResponseSchema, type SearchResponse } from '../../core/contracts.js';
import { searchIndex } from '../../adapters/index-search.js';
import type { ApiDeps } from '../deps.js';
import { createRouter, errorResponse, jsonResponse, tenantRoute } from '../openapi.js';
import { searchResult } from '../views.js';

const search = tenantRoute({
  method: 'post',
  path: '/',
  operationId: 'search',
  summary: "Search the tenant's documents: dense, keyword or hybrid",
  description:
    '`mode` is `hybrid` (default: dense and full-text results fused by reciprocal rank), `dense` (embeddings only) or `keyword` (full-text index only); each result says which `matched`. Optionally restricted to some documents and/or batches of the tenant with documentIds and batchIds.',
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
    const { query, mode, limit, documentIds, batchIds } = request;
    const hits = await searchIndex(deps, { tenantId, query, mode, limit, filter: { documentIds, batchIds } });
    const response: SearchResponse = { results: hits.map(searchResult) };
    return c.json(response, 200);
  });
}
