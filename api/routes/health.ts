/** Health of every dependency; 200 when all are up, 503 (same body) when any is down. */
import { Hono } from 'hono';
import type { ApiDeps } from '../deps.js';

export function healthRoutes(deps: ApiDeps) {
  return new Hono().get('/', async (c) => {
    const [temporal, embedder, vectors, catalog, files] = await Promise.all([
      deps.temporal.health(),
      deps.embedder.health(),
      deps.vectors.health(),
      deps.catalog.health(),
      deps.blobs.health(),
    ]);
    const checks = { temporal, embedder, vectorStore: vectors, catalog, fileStore: files };
    const ok = Object.values(checks).every((check) => check.ok);
    return c.json({ status: ok ? 'ok' : 'degraded', checks }, ok ? 200 : 503);
  });
}
