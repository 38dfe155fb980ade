/**
 * The one interface both vector stores implement (embedded LanceDB by default, Qdrant at scale).
 * Every call is scoped to one tenant: an implementation keeps one collection/table per tenant,
 * so no query can ever reach another tenant's points.
 *
 * Index generations: a tenant that switches embedding model gets a new collection per switch
 * (catalog.ts IndexSpaceRecord), because vectors of two models are not comparable and may differ
 * in size. A store addresses one generation; the factories return generation 1 (the collections
 * named as before switches existed), and `forGeneration` gives the same store on another one.
 * Nothing in the product enumerates collections (health lists one name at most, to prove the
 * store answers; maintenance works tenant by tenant through the catalog); code that ever does must
 * map names with core/ids.ts parseCollectionName, so a `_g<n>` collection is neither taken for
 * another tenant's nor skipped.
 */
import { assertGeneration } from '../core/ids.js';
import type { ChunkProvenance } from '../core/parsed.js';

/** Payload stored with every point; what search results are built from. */
export interface PointPayload extends ChunkProvenance {
  tenantId: string;
  documentId: string;
  batchId: string;
  /** Content version of the document; point ids include it. */
  version: number;
  chunkIndex: number;
  text: string;
  filename: string;
}

export interface VectorPoint {
  /** UUIDv5 of (tenant, document, version, chunk index): a retried upsert overwrites. */
  id: string;
  vector: number[];
  payload: PointPayload;
}

export interface SearchFilter {
  documentIds?: string[];
  batchIds?: string[];
  /**
   * Documents held to one version: of these, only the points of the given version match (other
   * documents are not restricted). Search passes the documents a re-index is working on, with
   * their active version, so a version being built or being removed is never an answer.
   */
  onlyVersions?: { documentId: string; version: number }[];
}

/**
 * One ranked point. `score` is higher for better matches: cosine similarity for dense search,
 * the store's own keyword relevance for keyword search (not comparable across stores or modes;
 * hybrid search fuses ranks, never scores).
 */
export interface SearchHit {
  id: string;
  score: number;
  payload: PointPayload;
}

/** What reconciliation needs to know about a stored point, without its vector or text. */
export interface PointRef {
  id: string;
  documentId: string;
  version: number;
  chunkIndex: number;
}

export interface VectorStore {
  /** Creates the tenant's collection if missing; idempotent. `dimensions` fixes the vector size. */
  ensureCollection(tenantId: string, dimensions: number): Promise<void>;
  /** Insert or overwrite by id. */
  upsert(tenantId: string, points: VectorPoint[]): Promise<void>;
  /** Dense search: the points nearest `vector` by cosine similarity. */
  search(tenantId: string, vector: number[], limit: number, filter?: SearchFilter): Promise<SearchHit[]>;
  /**
   * Keyword search over the chunk text with the store's full-text index: the words of `text`
   * (core/keyword-terms.ts), the rarer the more weight, scoped and filtered like dense search.
   */
  keywordSearch(tenantId: string, text: string, limit: number, filter?: SearchFilter): Promise<SearchHit[]>;
  /**
   * The stored chunks of one version of a document with chunk index in [from, from + limit),
   * in index order, without vectors: what the document inspector shows.
   */
  documentChunks(tenantId: string, documentId: string, version: number, from: number, limit: number): Promise<PointPayload[]>;
  /**
   * Removes every point of a document: all versions, or all but `exceptVersion` (what a re-index
   * removes once a version is active, or after it failed).
   */
  deleteDocument(tenantId: string, documentId: string, exceptVersion?: number): Promise<void>;
  /** Number of points a document has (all versions, or all but `exceptVersion`); used to verify deletes and detect duplicates. */
  countDocument(tenantId: string, documentId: string, exceptVersion?: number): Promise<number>;
  /** Total points in the tenant's collection (0 when it does not exist). */
  countAll(tenantId: string): Promise<number>;
  /** Point ids of a document, for reconciliation and tests. */
  listDocumentPointIds(tenantId: string, documentId: string): Promise<string[]>;
  /** Every point of the tenant's collection, as references; for reconciliation against the catalog. */
  listPointRefs(tenantId: string): Promise<PointRef[]>;
  /** Removes points by id (unknown ids are ignored). */
  deletePoints(tenantId: string, ids: string[]): Promise<void>;
  /**
   * Housekeeping after many writes (merges small files, drops old versions); a no-op for stores
   * that do it themselves. Returns what was done, for the retention run's summary.
   */
  compact(tenantId: string): Promise<string>;
  /**
   * The same store addressing the tenants' collections of index generation `generation`:
   * 1 = the collections used so far (names unchanged), n ≥ 2 = `tenant_<id>_docs_g<n>`
   * (core/ids.ts collectionName). Shares connections and caches with the store it came from;
   * calling it again with the same generation returns the same object. Throws unless
   * `generation` is a positive safe integer.
   */
  forGeneration(generation: number): VectorStore;
  /**
   * Drops the tenant's collection of this generation entirely (points and indexes); idempotent.
   * For a collection nothing reads or writes any more (a retired or abandoned index space): a
   * write racing the drop may recreate it. A dropped collection can be created again.
   */
  dropCollection(tenantId: string): Promise<void>;
  /** Cheap liveness check for /api/health. */
  health(): Promise<{ ok: boolean; detail: string }>;
  /**
   * Releases the shared connection: on the store a factory returned (the generation-1 store),
   * it closes every generation's view with it; on another generation's view it does nothing, so
   * code handed a view cannot close the store under everyone else.
   */
  close(): Promise<void>;
}

/**
 * `forGeneration` for a store whose views of each generation are made by `view`: one view per
 * generation, made on first use and returned again after, so views share what the store caches.
 */
export function generationViews(view: (generation: number) => VectorStore): (generation: number) => VectorStore {
  const views = new Map<number, VectorStore>();
  return (generation) => {
    assertGeneration(generation);
    let store = views.get(generation);
    if (!store) {
      store = view(generation);
      views.set(generation, store);
    }
    return store;
  };
}
