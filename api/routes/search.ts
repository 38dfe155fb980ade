/** Semantic search over the caller's own collection; the tenant comes from the key, never the body. */
import { Hono } from 'hono';
import { SearchRequestSchema, type SearchResponse } from '../../core/contracts.js';
import type { AuthVariables } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';

export function searchRoutes(deps: ApiDeps) {
  return new Hono<{ Variables: AuthVariables }>().post('/', async (c) => {
    const body = await c.req.json().catch(() => {
      throw new ApiError(400, 'bad_request', 'The body must be JSON: {"query": "...", "limit": 5}.');
    });
    const parsed = SearchRequestSchema.safeParse(body);
    if (!parsed.success) throw new ApiError(400, 'bad_request', parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    const tenantId = c.get('tenantId');
    const [vector] = await deps.embedder.embed([parsed.data.query], 'query');
    const hits = await deps.vectors.search(tenantId, vector, parsed.data.limit, {
      documentIds: parsed.data.documentIds,
      batchIds: parsed.data.batchIds,
    });
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
    return c.json(response);
  });
}
