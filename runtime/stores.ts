/**
 * Builds the real storage dependencies from configuration. The API and the workers call this
 * once at start; tests build their own from the same factories.
 */
import path from 'node:path';
import { createFsBlobStore, type BlobStore } from '../activities/adapters/blob-store.js';
import type { Catalog } from '../activities/adapters/catalog.js';
import type { Embedder } from '../activities/adapters/embedder.js';
import { createLanceDbStore } from '../activities/adapters/lancedb-store.js';
import { createOpenAiEmbedder } from '../activities/adapters/openai-embedder.js';
import { createQdrantStore } from '../activities/adapters/qdrant-store.js';
import { createSqliteCatalog } from '../activities/adapters/sqlite-catalog.js';
import type { VectorStore } from '../activities/adapters/vector-store.js';
import type { AppConfig } from './config.js';

export interface Stores {
  catalog: Catalog;
  blobs: BlobStore;
  vectors: VectorStore;
  embedder: Embedder;
  close(): Promise<void>;
}

/** Opens catalog, blob store, vector store and embedder as configured. */
export async function openStores(config: AppConfig): Promise<Stores> {
  if (config.databaseUrl) {
    throw new Error('DATABASE_URL (PostgreSQL catalog) is not supported yet; unset it to use the SQLite catalog in DATA_DIR');
  }
  if (!config.embeddings.baseURL) throw new Error('EMBEDDINGS_BASE_URL is not set and no local embedding server was started');
  const catalog = createSqliteCatalog(path.join(config.dataDir, 'catalog.sqlite'));
  const blobs = createFsBlobStore(path.join(config.dataDir, 'files'));
  const vectors = config.qdrant
    ? createQdrantStore({ url: config.qdrant.url, apiKey: config.qdrant.apiKey })
    : await createLanceDbStore({ dir: path.join(config.dataDir, 'vectors') });
  const embedder = createOpenAiEmbedder({
    baseURL: config.embeddings.baseURL,
    apiKey: config.embeddings.apiKey,
    model: config.embeddings.model,
    dimensions: config.embeddings.dimensions,
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
