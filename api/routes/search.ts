/**
 * Search over the caller's own collection, dense, keyword or hybrid (adapters/index-search.ts);
 * the tenant comes from the key, never the body.
 */
import { Hono } from 'hono';
import { SearchRequestSchema, type SearchResponse } from '../../core/contracts.js';
import { searchIndex } from '../../adapters/index-search.js';
import type { AuthVariables } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { searchResult } from '../views.js';

export function searchRoutes(deps: ApiDeps) {
  return new Hono<{ Variables: AuthVariables }>().post('/', async (c) => {
    const body = await c.req.json().catch(() => {
      throw new ApiError(400, 'bad_request', 'The body must be JSON: {"query": "...", "limit": 5}.');
    });
    const parsed = SearchRequestSchema.safeParse(body);
    if (!parsed.success) throw new ApiError(400, 'bad_request', parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    const { query, mode, limit, documentIds, batchIds } = parsed.data;
    const hits = await searchIndex(deps, { tenantId: c.get('tenantId'), query, mode, limit, filter: { documentIds, batchIds } });
    const response: SearchResponse = { results: hits.map(searchResult) };
    return c.json(response);
  });
}
