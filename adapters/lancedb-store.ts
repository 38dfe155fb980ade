/**
 * The embedded default vector store: LanceDB tables in a local directory (or, for several hosts,
 * under a prefix of the S3-compatible object store), one table per tenant and index generation
 * (`tenant_<id>_docs`, then `tenant_<id>_docs_g<n>` after model switches; core/ids.ts). Every
 * per-table cache below (opened tables, vector sizes, the write queues) is keyed by table name, so
 * generations never share an entry, and dropCollection forgets its table in all of them.
 *
 * Concurrency model. LanceDB commits optimistically: a writer that loses a race either is retried
 * inside LanceDB or fails with "Retryable commit conflict ... Please retry" (seen on concurrent
 * table creation) or "Too many concurrent writers. Attempted N times, but failed on retry_timeout"
 * (seen under heavy merge-insert contention). So:
 *  - inside one process, writes to one table go through a per-table promise chain (no self-races);
 *  - across processes, a write that still fails with a commit conflict is retried with backoff;
 *  - the `id` column carries Lance's unenforced-primary-key marker. Without it two writers that
 *    both insert the same new id both succeed and the table holds duplicates (lance-format/lance
 *    #4585, lancedb/lancedb #3377); with it the second commit is detected as a conflict and rebased.
 * Reads use `readConsistencyInterval: 0` so a cached table sees other processes' commits.
 *
 * Keyword search uses LanceDB's full-text (inverted, BM25) index on `text`, created with the
 * table. Rows written since the index was last updated are still found, by a flat scan that is
 * slower and, in LanceDB 0.31, weighs a word by its occurrences in those rows instead of the rows
 * containing it (a word repeated more often than the table has rows then counts for nothing).
 * So after a write the index is refreshed (`optimize`, which also merges the small files every
 * write leaves) whenever the rows it does not cover are many (KEYWORD_INDEX_STALE_ROWS) or a
 * large share of the table (a new tenant's first documents): the flat part stays small.
 *
 * Tables made by an earlier version of this store are brought up to date when first opened:
 * payload columns added since then are added (null for the existing rows) and the full-text
 * index is created. Several processes may do this at once; losing that race is fine.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { Field, FixedSizeList, Float32, Float64, Int32, List, Schema, Utf8 } from 'apache-arrow';
import { assertSafeId, collectionName } from '../core/ids.js';
import { keywordTerms } from '../core/keyword-terms.js';
import { generationViews, type PointPayload, type PointRef, type SearchFilter, type SearchHit, type VectorPoint, type VectorStore } from './vector-store.js';
import { assertChunkPage, assertDimensions, assertLimit, validatePoints, lastPerId, payloadFromRecord } from './point-validation.js';

/** How hard to retry a write that lost an optimistic-concurrency race against another process. */
export interface CommitRetryPolicy {
  attempts: number;
  baseDelayMs: number;
}

/** Where the tables live when they are not on the local disk. */
export interface LanceDbObjectStore {
  /** e.g. `s3://bucket/prefix/vectors`. */
  uri: string;
  /** LanceDB's object-store settings (endpoint, region, credentials...); credentials are never logged. */
  storageOptions: Record<string, string>;
}

/** Options of the embedded store: a local `dir`, or an `objectStore` shared by several hosts. */
export interface LanceDbStoreOptions {
  /** Directory holding the tables; created if missing. */
  dir?: string;
  /**
   * Tables on an S3-compatible store instead, so processes on several hosts share them. Safe
   * with concurrent writers only where the store honours conditional writes (`If-None-Match`),
   * which Lance's commits rely on there (AWS S3, SeaweedFS, MinIO do; see README "Run at scale").
   */
  objectStore?: LanceDbObjectStore;
  /** Seconds a cached table may lag other processes' commits; 0 (default) = always current. */
  readConsistencyIntervalSeconds?: number;
  commitRetry?: CommitRetryPolicy;
  /**
   * Told when housekeeping after a write (refreshing the full-text index) failed; the write
   * itself succeeded, and the next write or the retention run's compaction tries again.
   */
  onMaintenanceError?: (err: unknown, table: string) => void;
}

const DEFAULT_RETRY: CommitRetryPolicy = { attempts: 6, baseDelayMs: 25 };

/** Schema metadata that makes Lance detect two concurrent inserts of the same new id. */
const PRIMARY_KEY_METADATA = 'lance-schema:unenforced-primary-key';

const DELETE_IDS_PER_STATEMENT = 500;
const COMPACTION_VERSION_GRACE_MS = 60 * 60 * 1000;

/** The full-text index is refreshed once this many rows are outside it... */
const KEYWORD_INDEX_STALE_ROWS = 4096;
/** ...or once the rows outside it are this share of those inside (always, for a table's first rows). */
const KEYWORD_INDEX_STALE_SHARE = 0.25;

const PAYLOAD_COLUMNS = [
  'tenantId',
  'documentId',
  'batchId',
  'version',
  'chunkIndex',
  'text',
  'filename',
  'page',
  'heading',
  'headingPath',
  'sheet',
  'rowStart',
  'rowEnd',
  'ocrConfidence',
  'charStart',
  'charEnd',
] as const;

/**
 * Payload columns added after the first release, with the SQL that fills them for existing rows
 * (null: "not recorded"); an older table gets them when it is first opened.
 */
const ADDED_COLUMNS = [
  { name: 'headingPath', valueSql: "arrow_cast(NULL, 'List(Utf8)')" },
  { name: 'ocrConfidence', valueSql: 'CAST(NULL AS DOUBLE)' },
  { name: 'charStart', valueSql: 'CAST(NULL AS INT)' },
  { name: 'charEnd', valueSql: 'CAST(NULL AS INT)' },
] as const;

/**
 * The full-text index on `text`. Its word rules are the ones core/keyword-terms.ts describes:
 * split on anything but letters and digits, lower case, accents folded; no stemming and no stop
 * words, because a tenant's documents may be in any language.
 */
const TEXT_INDEX = {
  baseTokenizer: 'simple',
  lowercase: true,
  asciiFolding: true,
  stem: false,
  removeStopWords: false,
  maxTokenLength: 40,
  withPosition: false,
} as const;

/**
 * True when a LanceDB error means "another writer committed first, try again". Exported so tests
 * pin the messages this adapter relies on (LanceDB 0.31 / lance 8 raise plain `Error`s).
 */
export function isLanceCommitConflict(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  return /commit conflict|too many concurrent writers|preempted by concurrent transaction|incompatible with concurrent transaction|please retry/i.test(message);
}

/** Another process made the same schema change first (LanceDB 0.31: "... already exists ..."). */
function isAlreadyDone(err: unknown): boolean {
  return /already exists/i.test(err instanceof Error ? err.message : String(err));
}

function isTableNotFound(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  return /table '[^']*' was not found/i.test(message);
}

/**
 * The error a cached table gives once its version directory is unreadable, e.g. "Not found:
 * .../tenant_x_docs_g2.lance/_versions" (LanceDB 0.31): the table was dropped by another
 * process, or the storage under it failed. Only the table listing tells the two apart (see
 * `droppedMeanwhile`); a failed storage must keep failing, never read as an empty table.
 */
function isVersionsMissing(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  return isTableNotFound(err) || /not found: \S*\.lance\/_versions/i.test(message);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function withCommitRetry<T>(policy: CommitRetryPolicy, op: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      if (!isLanceCommitConflict(err) || attempt >= policy.attempts) throw err;
      // Jittered exponential backoff so two retrying processes do not collide in lockstep.
      await sleep(policy.baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
    }
  }
}

/** Runs operations with the same key one after another; a failed operation does not block the next. */
function createKeyedQueue() {
  const tails = new Map<string, Promise<void>>();
  const drain = () => Promise.all(tails.values()).then(() => undefined);
  const enqueue = <T>(key: string, op: () => Promise<T>): Promise<T> => {
    const previous = tails.get(key) ?? Promise.resolve();
    const result = previous.then(op);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return result;
  };
  return { enqueue, drain };
}

function tableSchema(dimensions: number): Schema {
  const nullable = true;
  return new Schema([
    new Field('id', new Utf8(), !nullable, new Map([[PRIMARY_KEY_METADATA, 'true']])),
    new Field('vector', new FixedSizeList(dimensions, new Field('item', new Float32(), true)), !nullable),
    new Field('tenantId', new Utf8(), !nullable),
    new Field('documentId', new Utf8(), !nullable),
    new Field('batchId', new Utf8(), !nullable),
    new Field('version', new Int32(), !nullable),
    new Field('chunkIndex', new Int32(), !nullable),
    new Field('text', new Utf8(), !nullable),
    new Field('filename', new Utf8(), !nullable),
    new Field('page', new Int32(), nullable),
    new Field('heading', new Utf8(), nullable),
    new Field('sheet', new Utf8(), nullable),
    new Field('rowStart', new Int32(), nullable),
    new Field('rowEnd', new Int32(), nullable),
    // Added later (ADDED_COLUMNS): at the end, where an upgraded table has them too.
    new Field('headingPath', new List(new Field('item', new Utf8(), true)), nullable),
    new Field('ocrConfidence', new Float64(), nullable),
    new Field('charStart', new Int32(), nullable),
    new Field('charEnd', new Int32(), nullable),
  ]);
}

function toRow(point: VectorPoint): Record<string, unknown> {
  // The payload's fields are the table's columns, one for one (PAYLOAD_COLUMNS).
  return { id: point.id, vector: point.vector, ...point.payload };
}

/** A SQL string literal; ids are validated before this, and quotes are doubled regardless. */
function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function inList(column: string, kind: string, values: string[]): string {
  for (const v of values) assertSafeId(kind, v);
  return `\`${column}\` IN (${[...new Set(values)].map(sqlString).join(', ')})`;
}

/** `undefined` = no filter; `null` = the filter can match nothing (an empty id list). */
function whereClause(filter: SearchFilter | undefined): string | undefined | null {
  const parts: string[] = [];
  if (filter?.documentIds) {
    if (filter.documentIds.length === 0) return null;
    parts.push(inList('documentId', 'document id', filter.documentIds));
  }
  if (filter?.batchIds) {
    if (filter.batchIds.length === 0) return null;
    parts.push(inList('batchId', 'batch id', filter.batchIds));
  }
  if (filter?.onlyVersions && filter.onlyVersions.length > 0) {
    const others = filter.onlyVersions.map(({ documentId, version }) => {
      assertSafeId('document id', documentId);
      if (!Number.isInteger(version)) throw new Error(`version must be an integer (got ${version})`);
      return `(\`documentId\` = ${sqlString(documentId)} AND \`version\` <> ${version})`;
    });
    parts.push(`NOT (${others.join(' OR ')})`);
  }
  return parts.length > 0 ? parts.join(' AND ') : undefined;
}

function documentPredicate(documentId: string, exceptVersion?: number): string {
  assertSafeId('document id', documentId);
  const document = `\`documentId\` = ${sqlString(documentId)}`;
  if (exceptVersion === undefined) return document;
  if (!Number.isInteger(exceptVersion)) throw new Error(`version must be an integer (got ${exceptVersion})`);
  return `${document} AND \`version\` <> ${exceptVersion}`;
}

function hitsFrom(rows: Record<string, unknown>[], score: (row: Record<string, unknown>) => number): SearchHit[] {
  return rows.map((row): SearchHit => ({ id: String(row.id), score: score(row), payload: payloadFromRecord(row) }));
}

/** Opens (or creates) the LanceDB database under `dir` and returns the tenant-scoped store. */
export async function createLanceDbStore(options: LanceDbStoreOptions): Promise<VectorStore> {
  if (Boolean(options.dir) === Boolean(options.objectStore)) throw new Error('LanceDB store: pass exactly one of dir and objectStore');
  const dir = options.dir ? path.resolve(options.dir) : undefined;
  const location = dir ?? options.objectStore!.uri;
  const retry = options.commitRetry ?? DEFAULT_RETRY;
  if (dir) await mkdir(dir, { recursive: true });
  const db = await lancedb.connect(location, {
    readConsistencyInterval: options.readConsistencyIntervalSeconds ?? 0,
    storageOptions: options.objectStore?.storageOptions,
  });
  const tables = new Map<string, Promise<lancedb.Table | null>>();
  const dimensionsOf = new Map<string, number>();
  const { enqueue, drain } = createKeyedQueue();
  let closed = false;

  const assertOpen = () => {
    if (closed) throw new Error('LanceDB store is closed');
  };

  /** The cached table, or null when it does not exist yet (absence is never cached). */
  function loadTable(name: string): Promise<lancedb.Table | null> {
    let pending = tables.get(name);
    if (!pending) {
      const opening = db.openTable(name).then(
        async (table) => {
          await upgradeTable(table);
          return table;
        },
        (err: unknown) => {
          if (isTableNotFound(err)) return null;
          throw err;
        },
      );
      pending = opening;
      tables.set(name, opening);
      opening.then(
        (t) => {
          if (!t && tables.get(name) === opening) tables.delete(name);
        },
        () => {
          if (tables.get(name) === opening) tables.delete(name);
        },
      );
    }
    return pending;
  }

  /**
   * One schema step that another process may be taking at the same time: `done` says whether it
   * is already there (re-read on every attempt), and the loser of a race finds it done.
   */
  async function evolve(done: () => Promise<boolean>, change: () => Promise<unknown>): Promise<void> {
    await withCommitRetry(retry, async () => {
      if (await done()) return;
      try {
        await change();
      } catch (err) {
        if (!(isAlreadyDone(err) && (await done()))) throw err;
      }
    });
  }

  /** Brings a table made by an older version up to date: new payload columns, the full-text index. */
  async function upgradeTable(table: lancedb.Table): Promise<void> {
    const missingColumns = async () => {
      const have = new Set((await table.schema()).fields.map((f) => f.name));
      return ADDED_COLUMNS.filter((c) => !have.has(c.name));
    };
    await evolve(
      async () => (await missingColumns()).length === 0,
      async () => table.addColumns((await missingColumns()).map((c) => ({ name: c.name, valueSql: c.valueSql }))),
    );
    await evolve(
      async () => (await textIndexName(table)) !== undefined,
      () => table.createIndex('text', { config: lancedb.Index.fts(TEXT_INDEX), replace: false }),
    );
  }

  /** The table's full-text index on `text`, by name. */
  async function textIndexName(table: lancedb.Table): Promise<string | undefined> {
    return (await table.listIndices()).find((i) => i.indexType === 'FTS' && i.columns.includes('text'))?.name;
  }

  /** Compacts and re-indexes; versions younger than the grace period stay for readers still on them. */
  function optimize(name: string, table: lancedb.Table) {
    const cleanupOlderThan = new Date(Date.now() - COMPACTION_VERSION_GRACE_MS);
    return enqueue(name, () => withCommitRetry(retry, () => table.optimize({ cleanupOlderThan })));
  }

  /** After a write: folds the rows the full-text index does not cover into it, when they are many (see the module comment). */
  async function refreshKeywordIndexIfStale(name: string, table: lancedb.Table): Promise<void> {
    try {
      const index = await textIndexName(table);
      const stats = index ? await table.indexStats(index) : undefined;
      if (!stats || stats.numUnindexedRows === 0) return;
      if (stats.numUnindexedRows < KEYWORD_INDEX_STALE_ROWS && stats.numUnindexedRows < stats.numIndexedRows * KEYWORD_INDEX_STALE_SHARE) return;
      await optimize(name, table);
    } catch (err) {
      options.onMaintenanceError?.(err, name);
    }
  }

  async function tableDimensions(name: string, table: lancedb.Table): Promise<number> {
    const known = dimensionsOf.get(name);
    if (known !== undefined) return known;
    const field = (await table.schema()).fields.find((f) => f.name === 'vector');
    const size = (field?.type as { listSize?: number } | undefined)?.listSize;
    if (typeof size !== 'number') throw new Error(`table ${name} has no fixed-size vector column`);
    dimensionsOf.set(name, size);
    return size;
  }

  async function checkDimensions(name: string, table: lancedb.Table, dimensions: number): Promise<lancedb.Table> {
    let actual = await tableDimensions(name, table);
    if (actual !== dimensions) {
      // Before refusing, ask the table itself: the cached size may be of a table another process
      // has dropped since (reading a dropped table's schema fails as "gone", and the caller retries).
      dimensionsOf.delete(name);
      actual = await tableDimensions(name, table);
    }
    if (actual !== dimensions) {
      throw new Error(`table ${name} stores ${actual}-dimensional vectors, got ${dimensions}`);
    }
    return table;
  }

  /**
   * True when `err` says a cached table's data is gone and the table is no longer listed: another
   * process dropped it. A table still listed (a storage outage, a lost mount) is not dropped, and
   * the error stands. Only asked on that error path, so listing every table is affordable.
   */
  async function droppedMeanwhile(name: string, err: unknown): Promise<boolean> {
    if (!isVersionsMissing(err)) return false;
    let startAfter: string | undefined;
    for (;;) {
      const page = await db.tableNames({ startAfter, limit: 1000 });
      if (page.includes(name)) return false;
      if (page.length < 1000) return true;
      startAfter = page[page.length - 1];
    }
  }

  /** Forgets a table in every per-table cache; returns the cached handle it held, if any. */
  function forgetTable(name: string): Promise<lancedb.Table | null> | undefined {
    const cached = tables.get(name);
    tables.delete(name);
    dimensionsOf.delete(name);
    return cached;
  }

  /**
   * Runs `op` on the table, or answers `missing` when there is none. A cached table that another
   * process dropped meanwhile is forgotten and looked up afresh once: a dropped collection then
   * reads as missing (or as the one created since), instead of failing until this process restarts.
   */
  async function withTable<T>(name: string, missing: T, op: (table: lancedb.Table) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const table = await loadTable(name);
      if (!table) return missing;
      try {
        return await op(table);
      } catch (err) {
        if (attempt > 1 || !(await droppedMeanwhile(name, err))) throw err;
        if ((await tables.get(name)?.catch(() => null)) === table) forgetTable(name);
      }
    }
  }

  async function getOrCreateTable(name: string, dimensions: number): Promise<lancedb.Table> {
    const existing = await loadTable(name);
    if (existing) return checkDimensions(name, existing, dimensions);
    const created = await enqueue(name, async () => {
      const raced = await loadTable(name);
      if (raced) return raced;
      // existOk: another process may create it first; its commit race surfaces as a retryable conflict.
      const table = await withCommitRetry(retry, () => db.createEmptyTable(name, tableSchema(dimensions), { mode: 'create', existOk: true }));
      await upgradeTable(table); // the full-text index (and columns, if another process made it first)
      tables.set(name, Promise.resolve(table));
      return table;
    });
    return checkDimensions(name, created, dimensions);
  }

  /** The store's methods on the tables of one index generation; every cache is shared, keyed by table name. */
  function view(generation: number): VectorStore {
    return {
      async ensureCollection(tenantId, dimensions) {
        const name = collectionName(tenantId, generation);
        assertDimensions(dimensions);
        assertOpen();
        try {
          await getOrCreateTable(name, dimensions);
        } catch (err) {
          if (!(await droppedMeanwhile(name, err))) throw err;
          forgetTable(name); // dropped by another process behind our cache: create it afresh
          await getOrCreateTable(name, dimensions);
        }
      },

      async upsert(tenantId, points) {
        const name = collectionName(tenantId, generation);
        if (points.length === 0) return;
        const dimensions = validatePoints(tenantId, points);
        assertOpen();
        const rows = lastPerId(points).map(toRow);
        const write = async () => {
          const table = await getOrCreateTable(name, dimensions);
          await enqueue(name, () => withCommitRetry(retry, () => table.mergeInsert('id').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(rows)));
          return table;
        };
        let table: lancedb.Table;
        try {
          table = await write();
        } catch (err) {
          if (!(await droppedMeanwhile(name, err))) throw err;
          // Dropped by another process behind our cache: the write creates the table again, as on first use.
          forgetTable(name);
          table = await write();
        }
        await refreshKeywordIndexIfStale(name, table);
      },

      async search(tenantId, vector, limit, filter) {
        const name = collectionName(tenantId, generation);
        assertLimit(limit);
        const where = whereClause(filter);
        assertOpen();
        if (where === null || limit === 0) return [];
        return withTable(name, [] as SearchHit[], async (table) => {
          let query = table
            .vectorSearch(vector)
            .column('vector')
            .distanceType('cosine')
            .limit(limit)
            .select(['id', ...PAYLOAD_COLUMNS, '_distance']);
          if (where) query = query.where(where);
          // Cosine distance is 1 - cosine similarity; report the similarity, as Qdrant does.
          return hitsFrom((await query.toArray()) as Record<string, unknown>[], (row) => 1 - Number(row._distance));
        });
      },

      async keywordSearch(tenantId, text, limit, filter) {
        const name = collectionName(tenantId, generation);
        assertLimit(limit);
        const where = whereClause(filter);
        // The query's own words, re-joined: nothing in it can act as query syntax, and the number
        // of words searched is bounded.
        const words = keywordTerms(text).join(' ');
        assertOpen();
        if (where === null || limit === 0 || words === '') return [];
        return withTable(name, [] as SearchHit[], async (table) => {
          let query = table
            .query()
            .fullTextSearch(new lancedb.MatchQuery(words, 'text'))
            .limit(limit)
            .select(['id', ...PAYLOAD_COLUMNS, '_score']);
          if (where) query = query.where(where);
          return hitsFrom((await query.toArray()) as Record<string, unknown>[], (row) => Number(row._score));
        });
      },

      async documentChunks(tenantId, documentId, version, from, limit) {
        const name = collectionName(tenantId, generation);
        const predicate = documentPredicate(documentId);
        assertChunkPage(version, from, limit);
        assertOpen();
        if (limit === 0) return [];
        return withTable(name, [] as PointPayload[], async (table) => {
          // Chunk indexes of a version are 0..n-1, so a page is an index range.
          const rows = (await table
            .query()
            .where(`${predicate} AND \`version\` = ${version} AND \`chunkIndex\` >= ${from} AND \`chunkIndex\` < ${from + limit}`)
            .select([...PAYLOAD_COLUMNS])
            .toArray()) as Record<string, unknown>[];
          return rows.map((row): PointPayload => payloadFromRecord(row)).sort((a, b) => a.chunkIndex - b.chunkIndex);
        });
      },

      async deleteDocument(tenantId, documentId, exceptVersion) {
        const name = collectionName(tenantId, generation);
        const predicate = documentPredicate(documentId, exceptVersion);
        assertOpen();
        await withTable(name, undefined, (table) => enqueue(name, () => withCommitRetry(retry, () => table.delete(predicate))));
      },

      async countDocument(tenantId, documentId, exceptVersion) {
        const name = collectionName(tenantId, generation);
        const predicate = documentPredicate(documentId, exceptVersion);
        assertOpen();
        return withTable(name, 0, (table) => table.countRows(predicate));
      },

      async countAll(tenantId) {
        const name = collectionName(tenantId, generation);
        assertOpen();
        return withTable(name, 0, (table) => table.countRows());
      },

      async listDocumentPointIds(tenantId, documentId) {
        const name = collectionName(tenantId, generation);
        const predicate = documentPredicate(documentId);
        assertOpen();
        return withTable(name, [] as string[], async (table) => {
          const rows = (await table.query().where(predicate).select(['id']).toArray()) as { id: string }[];
          return rows.map((r) => String(r.id)).sort();
        });
      },

      async listPointRefs(tenantId) {
        const name = collectionName(tenantId, generation);
        assertOpen();
        return withTable(name, [] as PointRef[], async (table) => {
          const rows = (await table.query().select(['id', 'documentId', 'version', 'chunkIndex']).toArray()) as Record<string, unknown>[];
          return rows.map((r): PointRef => ({ id: String(r.id), documentId: String(r.documentId), version: Number(r.version), chunkIndex: Number(r.chunkIndex) }));
        });
      },

      async deletePoints(tenantId, ids) {
        const name = collectionName(tenantId, generation);
        assertOpen();
        if (ids.length === 0) return;
        // Bounded predicates: one statement per few hundred ids keeps the SQL small.
        for (let i = 0; i < ids.length; i += DELETE_IDS_PER_STATEMENT) {
          const predicate = inList('id', 'point id', ids.slice(i, i + DELETE_IDS_PER_STATEMENT));
          await withTable(name, undefined, (table) => enqueue(name, () => withCommitRetry(retry, () => table.delete(predicate))));
        }
      },

      forGeneration(next) {
        return forGeneration(next);
      },

      async dropCollection(tenantId) {
        const name = collectionName(tenantId, generation);
        assertOpen();
        // Queued behind this process's writes to the table, so none of them lands after the drop.
        await enqueue(name, async () => {
          // Every cache is keyed by table name and must forget this one, so a later create starts afresh.
          const table = await forgetTable(name)?.catch(() => null);
          table?.close();
          try {
            await db.dropTable(name);
          } catch (err) {
            if (!isTableNotFound(err)) throw err; // already dropped: a repeat, or another process
          }
          // A read may have opened (and cached) the table again while it was being dropped.
          forgetTable(name);
        });
      },

      async compact(tenantId) {
        const name = collectionName(tenantId, generation);
        assertOpen();
        return withTable(name, 'no table', async (table) => {
          // Every merge-insert leaves a version and small files behind, and rows outside the full-text index.
          const stats = await optimize(name, table);
          return `${stats.compaction.fragmentsRemoved} fragments merged into ${stats.compaction.fragmentsAdded}, ${stats.prune.oldVersionsRemoved} old versions removed`;
        });
      },

      async health() {
        try {
          assertOpen();
          // Usable = we can write a file there (on a local disk) and LanceDB can list it.
          if (dir) {
            const probe = path.join(dir, `.health-${process.pid}-${randomUUID()}`);
            await writeFile(probe, 'ok');
            await rm(probe, { force: true });
          }
          await db.tableNames({ limit: 1 });
          return { ok: true, detail: `lancedb at ${location}` };
        } catch (err) {
          return { ok: false, detail: `lancedb at ${location} unusable: ${err instanceof Error ? err.message : String(err)}` };
        }
      },

      async close() {
        // Only the store the factory returned owns the connection; a generation's view shares it.
        if (generation === 1) await closeAll();
      },
    };
  }

  async function closeAll(): Promise<void> {
    if (closed) return;
    closed = true;
    await drain(); // let in-flight writes commit before their tables are closed
    const opened = await Promise.allSettled([...tables.values()]);
    for (const r of opened) if (r.status === 'fulfilled' && r.value) r.value.close();
    tables.clear();
    db.close();
  }

  const forGeneration = generationViews(view);

  return forGeneration(1);
}
