/**
 * The at-scale vector store: Qdrant through its official REST client, one collection per tenant
 * (`tenant_<id>_docs`) with keyword payload indexes on documentId and batchId for filtering.
 * A missing collection is a normal state (a tenant that has indexed nothing yet): reads answer
 * empty and writes create it. Scores are Qdrant's cosine similarity, higher = closer, the same
 * semantics as the LanceDB store.
 */
import { QdrantClient, type Schemas } from '@qdrant/js-client-rest';
import { assertSafeId, collectionName } from '../core/ids.js';
import type { PointRef, SearchFilter, SearchHit, VectorStore } from './vector-store.js';
import { assertDimensions, validatePoints, lastPerId, payloadFromRecord } from './point-validation.js';

/** Connection and tuning; `client` lets tests and callers share or pre-configure a client. */
export interface QdrantStoreOptions {
  url: string;
  apiKey?: string;
  client?: QdrantClient;
  /** Points per scroll page when listing a document's point ids. */
  scrollPageSize?: number;
  /** Points per upsert request, keeping each request well under Qdrant's request size limit. */
  upsertBatchSize?: number;
}

/** Payload fields the store filters on; each gets a keyword index so filters stay fast. */
export const QDRANT_INDEXED_FIELDS = ['documentId', 'batchId'] as const;

const TRANSIENT_RETRIES = 5;

function statusOf(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

function errorText(err: unknown): string {
  const data = (err as { data?: { status?: { error?: unknown } } } | null)?.data;
  const detail = typeof data?.status?.error === 'string' ? data.status.error : '';
  return `${err instanceof Error ? err.message : String(err)} ${detail}`;
}

function isNotFound(err: unknown): boolean {
  return statusOf(err) === 404;
}

/** 409 since Qdrant 1.8; older servers answered 400 "already exists". */
function isAlreadyExists(err: unknown): boolean {
  const status = statusOf(err);
  return status === 409 || (status === 400 && /already exists/i.test(errorText(err)));
}

/** A collection that another caller has just created can answer 5xx until its shards are up. */
function isTransient(err: unknown): boolean {
  const status = statusOf(err);
  return status === 500 || status === 502 || status === 503 || status === 504;
}

async function retryTransient<T>(op: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      if (!isTransient(err) || attempt >= TRANSIENT_RETRIES) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** (attempt - 1)));
    }
  }
}

/** Runs `op`; a 404 (collection missing) yields `fallback` instead of an error. */
async function orIfMissing<T>(fallback: T, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (isNotFound(err)) return fallback;
    throw err;
  }
}

function anyOf(key: string, kind: string, values: string[]): Schemas['FieldCondition'] {
  for (const v of values) assertSafeId(kind, v);
  // Qdrant's schema requires the `any` list to be unique.
  return { key, match: { any: [...new Set(values)] } };
}

/** `undefined` = no filter; `null` = the filter can match nothing (an empty id list). */
function searchFilter(filter: SearchFilter | undefined): Schemas['Filter'] | undefined | null {
  const must: Schemas['FieldCondition'][] = [];
  if (filter?.documentIds) {
    if (filter.documentIds.length === 0) return null;
    must.push(anyOf('documentId', 'document id', filter.documentIds));
  }
  if (filter?.batchIds) {
    if (filter.batchIds.length === 0) return null;
    must.push(anyOf('batchId', 'batch id', filter.batchIds));
  }
  return must.length > 0 ? { must } : undefined;
}

function documentFilter(documentId: string): Schemas['Filter'] {
  assertSafeId('document id', documentId);
  return { must: [{ key: 'documentId', match: { value: documentId } }] };
}

/** The single unnamed vector's size, or undefined when the collection uses named vectors. */
function vectorSize(info: Schemas['CollectionInfo']): number | undefined {
  const vectors = info.config.params.vectors as { size?: unknown } | undefined;
  return typeof vectors?.size === 'number' ? vectors.size : undefined;
}

/** Builds the Qdrant-backed store; performs no I/O until the first call. */
export function createQdrantStore(options: QdrantStoreOptions): VectorStore {
  const client =
    options.client ??
    // The compatibility check fires an unawaited request from the constructor; health() covers it.
    new QdrantClient({ url: options.url, apiKey: options.apiKey, checkCompatibility: false });
  const scrollPageSize = options.scrollPageSize ?? 256;
  const upsertBatchSize = options.upsertBatchSize ?? 256;
  /** Collections known to exist with their indexes, by name → vector size; saves a round trip per upsert. */
  const ensured = new Map<string, number>();

  async function collectionInfo(name: string): Promise<Schemas['CollectionInfo'] | null> {
    return orIfMissing(null, () => client.getCollection(name));
  }

  async function ensure(name: string, dimensions: number): Promise<void> {
    if (ensured.get(name) === dimensions) return;
    let info = await collectionInfo(name);
    if (!info) {
      try {
        await client.createCollection(name, { vectors: { size: dimensions, distance: 'Cosine' } });
      } catch (err) {
        if (!isAlreadyExists(err)) throw err; // another worker won the race: fine
      }
      info = await retryTransient(() => collectionInfo(name));
      if (!info) throw new Error(`collection ${name} vanished right after creation`);
    }
    const size = vectorSize(info);
    if (size !== dimensions) {
      throw new Error(`collection ${name} stores ${String(size)}-dimensional vectors, got ${dimensions}`);
    }
    for (const field of QDRANT_INDEXED_FIELDS) {
      if (info.payload_schema[field]) continue;
      // Idempotent on the server, so a concurrent creator doing the same is harmless.
      await retryTransient(() => client.createPayloadIndex(name, { field_name: field, field_schema: 'keyword', wait: true }));
    }
    ensured.set(name, dimensions);
  }

  /** Every point matching `filter` (all when undefined), page by page, without vectors. */
  async function scrollAll(name: string, filter: Schemas['Filter'] | undefined, withPayload: boolean | string[]): Promise<Schemas['Record'][]> {
    return orIfMissing([] as Schemas['Record'][], async () => {
      const points: Schemas['Record'][] = [];
      let offset: Schemas['ScrollRequest']['offset'];
      do {
        const page = await client.scroll(name, {
          ...(filter ? { filter } : {}),
          limit: scrollPageSize,
          with_payload: withPayload,
          with_vector: false,
          ...(offset !== undefined && offset !== null ? { offset } : {}),
        });
        points.push(...page.points);
        offset = page.next_page_offset as Schemas['ScrollRequest']['offset'];
      } while (offset !== undefined && offset !== null);
      return points;
    });
  }

  async function upsertBatch(name: string, dimensions: number, points: Schemas['PointStruct'][]): Promise<void> {
    try {
      await client.upsert(name, { wait: true, points });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      // The collection was dropped behind our cache's back: recreate it once and retry.
      ensured.delete(name);
      await ensure(name, dimensions);
      await client.upsert(name, { wait: true, points });
    }
  }

  return {
    async ensureCollection(tenantId, dimensions) {
      const name = collectionName(tenantId);
      assertDimensions(dimensions);
      await ensure(name, dimensions);
    },

    async upsert(tenantId, points) {
      const name = collectionName(tenantId);
      if (points.length === 0) return;
      const dimensions = validatePoints(tenantId, points);
      await ensure(name, dimensions);
      const structs = lastPerId(points).map((p): Schemas['PointStruct'] => ({ id: p.id, vector: p.vector, payload: { ...p.payload } }));
      for (let i = 0; i < structs.length; i += upsertBatchSize) {
        await upsertBatch(name, dimensions, structs.slice(i, i + upsertBatchSize));
      }
    },

    async search(tenantId, vector, limit, filter) {
      const name = collectionName(tenantId);
      if (!Number.isSafeInteger(limit) || limit < 0) throw new Error(`invalid limit ${String(limit)}`);
      const qdrantFilter = searchFilter(filter);
      if (qdrantFilter === null || limit === 0) return [];
      const result = await orIfMissing(null, () => client.query(name, { query: vector, limit, filter: qdrantFilter, with_payload: true, with_vector: false }));
      return (result?.points ?? []).map((p): SearchHit => ({
        id: String(p.id),
        score: p.score,
        payload: payloadFromRecord(p.payload as Record<string, unknown> | null | undefined),
      }));
    },

    async deleteDocument(tenantId, documentId) {
      const name = collectionName(tenantId);
      const filter = documentFilter(documentId);
      await orIfMissing(undefined, async () => {
        await client.delete(name, { wait: true, filter });
      });
    },

    async countDocument(tenantId, documentId) {
      const name = collectionName(tenantId);
      const filter = documentFilter(documentId);
      return orIfMissing(0, async () => (await client.count(name, { filter, exact: true })).count);
    },

    async countAll(tenantId) {
      const name = collectionName(tenantId);
      return orIfMissing(0, async () => (await client.count(name, { exact: true })).count);
    },

    async listDocumentPointIds(tenantId, documentId) {
      const name = collectionName(tenantId);
      const points = await scrollAll(name, documentFilter(documentId), false);
      return points.map((p) => String(p.id)).sort();
    },

    async listPointRefs(tenantId) {
      const name = collectionName(tenantId);
      const points = await scrollAll(name, undefined, ['documentId', 'version', 'chunkIndex']);
      return points.map((p): PointRef => {
        const payload = (p.payload ?? {}) as Record<string, unknown>;
        return { id: String(p.id), documentId: String(payload.documentId), version: Number(payload.version), chunkIndex: Number(payload.chunkIndex) };
      });
    },

    async deletePoints(tenantId, ids) {
      const name = collectionName(tenantId);
      if (ids.length === 0) return;
      for (const id of ids) assertSafeId('point id', id);
      await orIfMissing(undefined, async () => {
        for (let i = 0; i < ids.length; i += scrollPageSize) {
          await client.delete(name, { wait: true, points: ids.slice(i, i + scrollPageSize) });
        }
      });
    },

    async compact() {
      // Qdrant's own optimizers merge segments and vacuum deleted points in the background.
      return 'done by Qdrant itself';
    },

    async health() {
      try {
        const info = await client.versionInfo();
        return { ok: true, detail: `qdrant ${info.version} at ${options.url}` };
      } catch (err) {
        return { ok: false, detail: `qdrant at ${options.url} unreachable: ${errorText(err).trim()}` };
      }
    },

    async close() {
      // The REST client holds no resources that need releasing; its keep-alive sockets time out.
      ensured.clear();
    },
  };
}
