/**
 * The at-scale vector store: Qdrant through its official REST client, one collection per tenant
 * and index generation (`tenant_<id>_docs`, then `tenant_<id>_docs_g<n>` after model switches)
 * with keyword payload indexes on documentId and batchId for filtering and a
 * full-text payload index on `text` for keyword search. A missing collection is a normal state
 * (a tenant that has indexed nothing yet): reads answer empty and writes create it. Dense scores
 * are Qdrant's cosine similarity, higher = closer, the same semantics as the LanceDB store.
 *
 * Keyword search ranks by inverse document frequency: each word of the query (core/keyword-terms.ts)
 * weighs ln(1 + (N - n + 0.5) / (n + 0.5)) — BM25's IDF, with N the points in scope and n those
 * containing the word, both counted exactly — and a point scores the sum of the weights of the
 * words it contains, computed by Qdrant with a formula query over the points that contain at
 * least one of them (up to KEYWORD_CANDIDATES_PER_WORD per word, so every point holding a rare
 * word is ranked). Unlike LanceDB's BM25 it ignores how often a word repeats in a chunk; hybrid
 * search fuses ranks, never scores, so the two stores stay interchangeable.
 */
import { QdrantClient, type Schemas } from '@qdrant/js-client-rest';
import { assertSafeId, collectionName } from '../core/ids.js';
import { keywordTerms, MAX_WORD_LENGTH } from '../core/keyword-terms.js';
import { generationViews, type PointPayload, type PointRef, type SearchFilter, type SearchHit, type VectorStore } from './vector-store.js';
import { assertChunkPage, assertDimensions, assertLimit, validatePoints, lastPerId, payloadFromRecord } from './point-validation.js';

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

/**
 * Payload indexes every collection gets: keyword indexes on the fields filters use, and the
 * full-text index on `text` (word tokenizer, lower case, accents folded, the word rules of
 * core/keyword-terms.ts). A collection made before an index existed gets it on first use.
 */
export const QDRANT_PAYLOAD_INDEXES: { field: string; schema: Schemas['PayloadFieldSchema'] }[] = [
  { field: 'documentId', schema: 'keyword' },
  { field: 'batchId', schema: 'keyword' },
  { field: 'text', schema: { type: 'text', tokenizer: 'word', lowercase: true, ascii_folding: true, max_token_len: MAX_WORD_LENGTH } },
];

/** Points per query word that keyword search ranks; a word in more points than this is common, and weighs little. */
export const KEYWORD_CANDIDATES_PER_WORD = 200;

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

/** What a filter stands for, as Qdrant conditions; `null` = it can match nothing (an empty id list). */
interface Scope {
  must: Schemas['Condition'][];
  mustNot: Schemas['Condition'][];
}

function filterScope(filter: SearchFilter | undefined): Scope | null {
  const must: Schemas['Condition'][] = [];
  const mustNot: Schemas['Condition'][] = [];
  if (filter?.documentIds) {
    if (filter.documentIds.length === 0) return null;
    must.push(anyOf('documentId', 'document id', filter.documentIds));
  }
  if (filter?.batchIds) {
    if (filter.batchIds.length === 0) return null;
    must.push(anyOf('batchId', 'batch id', filter.batchIds));
  }
  // "Not (this document and another version)", one nested filter per document held to a version.
  for (const { documentId, version } of filter?.onlyVersions ?? []) {
    if (!Number.isInteger(version)) throw new Error(`version must be an integer (got ${version})`);
    mustNot.push({ must: [documentCondition(documentId)], must_not: [{ key: 'version', match: { value: version } }] });
  }
  return { must, mustNot };
}

/** The scope plus `more` conditions, as one Qdrant filter (undefined when it has no condition). */
function scopedFilter(scope: Scope, ...more: Schemas['Condition'][]): Schemas['Filter'] | undefined {
  const must = [...scope.must, ...more];
  if (must.length === 0 && scope.mustNot.length === 0) return undefined;
  return { ...(must.length > 0 ? { must } : {}), ...(scope.mustNot.length > 0 ? { must_not: scope.mustNot } : {}) };
}

/** "The chunk's text contains this word", on the full-text index. */
function containsWord(word: string): Schemas['FieldCondition'] {
  return { key: 'text', match: { text: word } };
}

/** BM25's inverse document frequency of a word in `n` of `total` points. */
function idf(total: number, n: number): number {
  return Math.log(1 + (total - n + 0.5) / (n + 0.5));
}

function hitsFrom(points: Schemas['ScoredPoint'][]): SearchHit[] {
  return points.map((p): SearchHit => ({ id: String(p.id), score: p.score, payload: payloadFromRecord(p.payload as Record<string, unknown> | null | undefined) }));
}

function documentCondition(documentId: string): Schemas['FieldCondition'] {
  assertSafeId('document id', documentId);
  return { key: 'documentId', match: { value: documentId } };
}

function documentFilter(documentId: string, exceptVersion?: number): Schemas['Filter'] {
  if (exceptVersion === undefined) return { must: [documentCondition(documentId)] };
  if (!Number.isInteger(exceptVersion)) throw new Error(`version must be an integer (got ${exceptVersion})`);
  return { must: [documentCondition(documentId)], must_not: [{ key: 'version', match: { value: exceptVersion } }] };
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
  /** Collections known to have the full-text index keyword search needs. */
  const textIndexed = new Set<string>();

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
    for (const { field, schema } of QDRANT_PAYLOAD_INDEXES) {
      if (info.payload_schema[field]) continue;
      // Idempotent on the server, so a concurrent creator doing the same is harmless.
      await retryTransient(() => client.createPayloadIndex(name, { field_name: field, field_schema: schema, wait: true }));
    }
    ensured.set(name, dimensions);
    textIndexed.add(name);
  }

  /**
   * Makes sure a collection made before keyword search has its full-text index before the first
   * keyword query (words would otherwise be matched as substrings, and not at all where the
   * server refuses filters on unindexed fields). False when the collection does not exist.
   */
  async function ensureTextIndex(name: string): Promise<boolean> {
    if (textIndexed.has(name)) return true;
    const info = await collectionInfo(name);
    if (!info) return false;
    const text = QDRANT_PAYLOAD_INDEXES.find((i) => i.field === 'text')!;
    if (!info.payload_schema.text) await retryTransient(() => client.createPayloadIndex(name, { field_name: 'text', field_schema: text.schema, wait: true }));
    textIndexed.add(name);
    return true;
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

  /** The store's methods on the collections of one index generation; the client and caches are shared, keyed by name. */
  function view(generation: number): VectorStore {
    return {
      async ensureCollection(tenantId, dimensions) {
        const name = collectionName(tenantId, generation);
        assertDimensions(dimensions);
        await ensure(name, dimensions);
      },

      async upsert(tenantId, points) {
        const name = collectionName(tenantId, generation);
        if (points.length === 0) return;
        const dimensions = validatePoints(tenantId, points);
        await ensure(name, dimensions);
        const structs = lastPerId(points).map((p): Schemas['PointStruct'] => ({ id: p.id, vector: p.vector, payload: { ...p.payload } }));
        for (let i = 0; i < structs.length; i += upsertBatchSize) {
          await upsertBatch(name, dimensions, structs.slice(i, i + upsertBatchSize));
        }
      },

      async search(tenantId, vector, limit, filter) {
        const name = collectionName(tenantId, generation);
        assertLimit(limit);
        const scope = filterScope(filter);
        if (scope === null || limit === 0) return [];
        const qdrantFilter = scopedFilter(scope);
        const result = await orIfMissing(null, () =>
          client.query(name, { query: vector, limit, ...(qdrantFilter ? { filter: qdrantFilter } : {}), with_payload: true, with_vector: false }),
        );
        return hitsFrom(result?.points ?? []);
      },

      async keywordSearch(tenantId, text, limit, filter) {
        const name = collectionName(tenantId, generation);
        assertLimit(limit);
        const scope = filterScope(filter);
        const words = keywordTerms(text);
        if (scope === null || limit === 0 || words.length === 0) return [];
        if (!(await ensureTextIndex(name))) return [];
        return orIfMissing([] as SearchHit[], async () => {
          const count = async (countFilter: Schemas['Filter'] | undefined) => (await client.count(name, { ...(countFilter ? { filter: countFilter } : {}), exact: true })).count;
          const total = await count(scopedFilter(scope));
          if (total === 0) return [];
          const present = await Promise.all(words.map(async (word) => ({ word, n: await count(scopedFilter(scope, containsWord(word))) })));
          const weighted = present.filter((w) => w.n > 0);
          if (weighted.length === 0) return [];
          const result = await client.query(name, {
            prefetch: weighted.map(({ word }) => ({ filter: scopedFilter(scope, containsWord(word)), limit: KEYWORD_CANDIDATES_PER_WORD })),
            query: { formula: { sum: weighted.map(({ word, n }) => ({ mult: [idf(total, n), containsWord(word)] })) } },
            limit,
            with_payload: true,
            with_vector: false,
          });
          return hitsFrom(result.points);
        });
      },

      async documentChunks(tenantId, documentId, version, from, limit) {
        const name = collectionName(tenantId, generation);
        const document = documentCondition(documentId);
        assertChunkPage(version, from, limit);
        if (limit === 0) return [];
        const result = await orIfMissing(null, () =>
          client.scroll(name, {
            // Chunk indexes of a version are 0..n-1, so a page is an index range: at most `limit` points.
            filter: { must: [document, { key: 'version', match: { value: version } }, { key: 'chunkIndex', range: { gte: from, lt: from + limit } }] },
            limit,
            with_payload: true,
            with_vector: false,
          }),
        );
        return (result?.points ?? [])
          .map((p): PointPayload => payloadFromRecord(p.payload as Record<string, unknown> | null | undefined))
          .sort((a, b) => a.chunkIndex - b.chunkIndex);
      },

      async deleteDocument(tenantId, documentId, exceptVersion) {
        const name = collectionName(tenantId, generation);
        const filter = documentFilter(documentId, exceptVersion);
        await orIfMissing(undefined, async () => {
          await client.delete(name, { wait: true, filter });
        });
      },

      async countDocument(tenantId, documentId, exceptVersion) {
        const name = collectionName(tenantId, generation);
        const filter = documentFilter(documentId, exceptVersion);
        return orIfMissing(0, async () => (await client.count(name, { filter, exact: true })).count);
      },

      async countAll(tenantId) {
        const name = collectionName(tenantId, generation);
        return orIfMissing(0, async () => (await client.count(name, { exact: true })).count);
      },

      async listDocumentPointIds(tenantId, documentId) {
        const name = collectionName(tenantId, generation);
        const points = await scrollAll(name, documentFilter(documentId), false);
        return points.map((p) => String(p.id)).sort();
      },

      async listPointRefs(tenantId) {
        const name = collectionName(tenantId, generation);
        const points = await scrollAll(name, undefined, ['documentId', 'version', 'chunkIndex']);
        return points.map((p): PointRef => {
          const payload = (p.payload ?? {}) as Record<string, unknown>;
          return { id: String(p.id), documentId: String(payload.documentId), version: Number(payload.version), chunkIndex: Number(payload.chunkIndex) };
        });
      },

      async deletePoints(tenantId, ids) {
        const name = collectionName(tenantId, generation);
        if (ids.length === 0) return;
        for (const id of ids) assertSafeId('point id', id);
        await orIfMissing(undefined, async () => {
          for (let i = 0; i < ids.length; i += scrollPageSize) {
            await client.delete(name, { wait: true, points: ids.slice(i, i + scrollPageSize) });
          }
        });
      },

      forGeneration(next) {
        return forGeneration(next);
      },

      async dropCollection(tenantId) {
        const name = collectionName(tenantId, generation);
        // Forgotten before and after: a call racing the drop must not keep the collection marked as there.
        const forget = () => {
          ensured.delete(name);
          textIndexed.delete(name);
        };
        forget();
        // A missing collection is already dropped (404 on current servers; older ones answer `false`).
        await orIfMissing(undefined, async () => {
          await client.deleteCollection(name);
        });
        forget();
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
        // Only the store the factory returned forgets the shared caches; a generation's view shares them.
        if (generation !== 1) return;
        ensured.clear();
        textIndexed.clear();
      },
    };
  }

  const forGeneration = generationViews(view);

  return forGeneration(1);
}
