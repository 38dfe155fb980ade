/** Everything the API needs, injected by the server entry point or by tests. */
import type { BlobStore } from '../activities/adapters/blob-store.js';
import type { Catalog } from '../activities/adapters/catalog.js';
import type { Embedder } from '../activities/adapters/embedder.js';
import type { VectorStore } from '../activities/adapters/vector-store.js';
import type { FanOutOptions } from '../workflows/definitions.js';
import type { TemporalGateway } from './temporal-gateway.js';
import type { FileInspector, UploadLimits } from './uploads.js';

export interface ApiDeps {
  catalog: Catalog;
  blobs: BlobStore;
  vectors: VectorStore;
  embedder: Embedder;
  temporal: TemporalGateway;
  inspectFile: FileInspector;
  limits: UploadLimits;
  /** How often the SSE route re-reads progress. */
  ssePollMs?: number;
  /** Overrides for the batch fan-out, for tests. */
  fanOut?: Partial<FanOutOptions>;
}
