/**
 * Builds the real storage dependencies from configuration. The API and the workers call this
 * once at start; tests build their own from the same factories. The catalog comes from
 * openCatalog (runtime/open-catalog.ts), the same selection `npm start` and `npm run tenant` use.
 */
import path from 'node:path';
import { createFsBlobStore, type BlobStore } from '../adapters/blob-store.js';
import type { Catalog } from '../adapters/catalog.js';
import type { Embedder } from '../adapters/embedder.js';
import { createLanceDbStore } from '../adapters/lancedb-store.js';
import { createOpenAiEmbedder, type EmbedderMetrics } from '../adapters/openai-embedder.js';
import { createQdrantStore } from '../adapters/qdrant-store.js';
import type { VectorStore } from '../adapters/vector-store.js';
import type { Logger } from '../core/logger.js';
import type { AppConfig } from './config.js';
import { openCatalog } from './open-catalog.js';

export interface Stores {
  catalog: Catalog;
  blobs: BlobStore;
  vectors: VectorStore;
  embedder: Embedder;
  close(): Promise<void>;
}

/** Opens catalog, blob store, vector store and embedder as configured. */
export async function openStores(config: AppConfig, observe: { embedderMetrics?: EmbedderMetrics; logger?: Logger } = {}): Promise<Stores> {
  if (!config.embeddings.baseURL) throw new Error('EMBEDDINGS_BASE_URL is not set and no local embedding server was started');
  // PostgreSQL when DATABASE_URL is set (migrated on open), else SQLite in DATA_DIR.
  const catalog = await openCatalog(config);
  const blobs = createFsBlobStore(path.join(config.dataDir, 'files'));
  const vectors = config.qdrant
    ? createQdrantStore({ url: config.qdrant.url, apiKey: config.qdrant.apiKey })
    : await createLanceDbStore({
        dir: path.join(config.dataDir, 'vectors'),
        onMaintenanceError: (err, table) => observe.logger?.warn('vector index housekeeping failed; retried after the next write', { table, error: String(err) }),
      });
  const embedder = createOpenAiEmbedder({
    baseURL: config.embeddings.baseURL,
    apiKey: config.embeddings.apiKey,
    model: config.embeddings.model,
    dimensions: config.embeddings.dimensions,
    timeoutMs: config.embeddings.timeoutMs,
    metrics: observe.embedderMetrics,
  });
  return {
    catalog,
    blobs,
    vectors,
    embedder,
    async close() {
      await vectors.close();
      await catalog.close();
    },
  };
}
