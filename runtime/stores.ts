/**
 * Builds the real storage dependencies from configuration. The API and the workers call this
 * once at start; tests build their own from the same factories. The catalog comes from
 * openCatalog (runtime/open-catalog.ts), the same selection `npm start` and `npm run tenant` use.
 */
import path from 'node:path';
import { createFsBlobStore, type BlobStore } from '../adapters/blob-store.js';
import { createS3BlobStore } from '../adapters/s3-blob-store.js';
import { createS3Client, type S3Settings } from '../adapters/s3-client.js';
import type { LanceDbStoreOptions } from '../adapters/lancedb-store.js';
import type { Catalog } from '../adapters/catalog.js';
import type { Embedder } from '../adapters/embedder.js';
import { createLanceDbStore } from '../adapters/lancedb-store.js';
import { createOpenAiEmbedder, type EmbedderMetrics } from '../adapters/openai-embedder.js';
import { createQdrantStore } from '../adapters/qdrant-store.js';
import type { VectorStore } from '../adapters/vector-store.js';
import { createTenantSpaces, modelSet, spaceRoutedStore, type TenantSpaces } from '../adapters/index-spaces.js';
import type { Logger } from '../core/logger.js';
import type { AppConfig } from './config.js';
import { openCatalog } from './open-catalog.js';

export interface Stores {
  catalog: Catalog;
  blobs: BlobStore;
  /** Routed by index space: reads from each tenant's active collection, deletes reach all of its collections. */
  vectors: VectorStore;
  /** The default model's embedder (health checks); per-tenant work goes through `spaces`. */
  embedder: Embedder;
  /** Each tenant's collections and the embedding model of each (adapters/index-spaces.ts). */
  spaces: TenantSpaces;
  close(): Promise<void>;
}

/** Opens catalog, blob store, vector store and embedder as configured. */
export async function openStores(config: AppConfig, observe: { embedderMetrics?: EmbedderMetrics; logger?: Logger } = {}): Promise<Stores> {
  if (!config.embeddings.baseURL) throw new Error('EMBEDDINGS_BASE_URL is not set and no local embedding server was started');
  // PostgreSQL when DATABASE_URL is set (migrated on open), else SQLite in DATA_DIR.
  const catalog = await openCatalog(config);
  const blobs = await openBlobStore(config);
  const baseVectors = config.qdrant
    ? createQdrantStore({ url: config.qdrant.url, apiKey: config.qdrant.apiKey })
    : await createLanceDbStore({
        ...lanceDbLocation(config),
        onMaintenanceError: (err, table) => observe.logger?.warn('vector index housekeeping failed; retried after the next write', { table, error: String(err) }),
      });
  const embedderFor = (model: string, baseURL: string, dimensions?: number) =>
    createOpenAiEmbedder({
      baseURL,
      apiKey: config.embeddings.apiKey,
      model,
      dimensions,
      timeoutMs: config.embeddings.timeoutMs,
      metrics: observe.embedderMetrics,
    });
  const embedder = embedderFor(config.embeddings.model, config.embeddings.baseURL, config.embeddings.dimensions);
  const others = config.embeddings.others.map((m) => embedderFor(m.model, m.baseURL ?? config.embeddings.baseURL!));
  const spaces = createTenantSpaces({ catalog, vectors: baseVectors, models: modelSet(embedder, others) });
  const vectors = spaceRoutedStore(baseVectors, spaces);
  return {
    catalog,
    blobs,
    vectors,
    embedder,
    spaces,
    async close() {
      await vectors.close();
      await catalog.close();
    },
  };
}

/**
 * The configured blob store, checked before anything uses it: a missing bucket or refused
 * credentials stop the process at start with the store's reason code and what to fix, instead
 * of failing every upload and step later. The API, both worker pools and `npm start` open it here.
 */
export async function openBlobStore(config: AppConfig): Promise<BlobStore> {
  const blobs = config.s3
    ? createS3BlobStore({
        client: createS3Client(config.s3),
        bucket: config.s3.bucket,
        prefix: config.s3.prefix,
        endpoint: config.s3.endpoint,
        // Host-local scratch: upload checks and parse copies; nothing here is shared or kept.
        scratchDir: path.join(config.dataDir, 'tmp'),
        maxCopyBytes: config.limits.maxFileBytes,
      })
    : createFsBlobStore(path.join(config.dataDir, 'files'));
  const health = await blobs.health();
  if (!health.ok) throw new Error(`the file store cannot be used: ${health.detail}`);
  return blobs;
}

/**
 * Where LanceDB keeps its tables: DATA_DIR/vectors, or, with an object store, the same bucket
 * under `<S3_PREFIX>vectors/`, so the API (search, delete) and index workers on other hosts share them.
 */
export function lanceDbLocation(config: AppConfig): LanceDbStoreOptions {
  if (!config.s3) return { dir: path.join(config.dataDir, 'vectors') };
  return { objectStore: { uri: `s3://${config.s3.bucket}/${config.s3.prefix}vectors`, storageOptions: lanceStorageOptions(config.s3) } };
}

/** The object store settings in LanceDB's vocabulary (its Rust object_store's option names). */
function lanceStorageOptions(s3: S3Settings): Record<string, string> {
  const options: Record<string, string> = { region: s3.region, virtual_hosted_style_request: String(!s3.forcePathStyle) };
  if (s3.endpoint) {
    options.endpoint = s3.endpoint;
    if (s3.endpoint.startsWith('http://')) options.allow_http = 'true';
  }
  if (s3.accessKeyId && s3.secretAccessKey) {
    options.aws_access_key_id = s3.accessKeyId;
    options.aws_secret_access_key = s3.secretAccessKey;
  }
  return options;
}
