/** Health of every dependency; 200 when all are up, 503 (same body) when any is down. */
import { HealthResponseSchema } from '../../core/api-schemas.js';
import type { ApiDeps } from '../deps.js';
import { createRouter, jsonResponse, publicRoute } from '../openapi.js';

const getHealth = publicRoute({
  method: 'get',
  path: '/',
  operationId: 'getHealth',
  summary: 'Health of every dependency',
  tags: ['operations'],
  responses: {
    200: jsonResponse(HealthResponseSchema, 'Everything is up.'),
    503: jsonResponse(HealthResponseSchema, 'Something is down; the body says what.'),
  },
});

/** `GET /api/health`, public and not rate limited, for probes. */
export function healthRoutes(deps: ApiDeps) {
  return createRouter().openapi(getHealth, async (c) => {
    const [temporal, embedder, vectors, catalog, files] = await Promise.all([
      deps.temporal.health(),
      deps.embedder.health(),
      deps.vectors.health(),
      deps.catalog.health(),
      deps.blobs.health(),
    ]);
    const checks = { temporal, embedder, vectorStore: vectors, catalog, fileStore: files };
    const ok = Object.values(checks).every((check) => check.ok);
    return ok ? c.json({ status: 'ok' as const, checks }, 200) : c.json({ status: 'degraded' as const, checks }, 503);
  });
}
