/**
 * The embedded default vector store: LanceDB tables in a local directory, one table per tenant.
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
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { Field, FixedSizeList, Float32, Int32, Schema, Utf8 } from 'apache-arrow';
import { assertSafeId, collectionName } from '../core/ids.js';
import type { PointRef, SearchFilter, SearchHit, VectorPoint, VectorStore } from './vector-store.js';
import { assertDimensions, validatePoints, lastPerId, payloadFromRecord } from './point-validation.js';

/** How hard to retry a write that lost an optimistic-concurrency race against another process. */
export interface CommitRetryPolicy {
  attempts: number;
  baseDelayMs: number;
}

/** Options of the embedded store; only `dir` is required. */
export interface LanceDbStoreOptions {
  /** Directory holding the tables; created if missing. */
  dir: string;
  /** Seconds a cached table may lag other processes' commits; 0 (default) = always current. */
  readConsistencyIntervalSeconds?: number;
  commitRetry?: CommitRetryPolicy;
}

const DEFAULT_RETRY: CommitRetryPolicy = { attempts: 6, baseDelayMs: 25 };

/** Schema metadata that makes Lance detect two concurrent inserts of the same new id. */
const PRIMARY_KEY_METADATA = 'lance-schema:unenforced-primary-key';

const DELETE_IDS_PER_STATEMENT = 500;
const COMPACTION_VERSION_GRACE_MS = 60 * 60 * 1000;

const PAYLOAD_COLUMNS = ['tenantId', 'documentId', 'batchId', 'version', 'chunkIndex', 'text', 'filename', 'page', 'heading', 'sheet', 'rowStart', 'rowEnd'] as const;

/**
 * True when a LanceDB error means "another writer committed first, try again". Exported so tests
 * pin the messages this adapter relies on (LanceDB 0.31 / lance 8 raise plain `Error`s).
 */
export function isLanceCommitConflict(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  return /commit conflict|too many concurrent writers|preempted by concurrent transaction|please retry/i.test(message);
}

function isTableNotFound(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  return /table '[^']*' was not found/i.test(message);
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
  ]);
}

function toRow(point: VectorPoint): Record<string, unknown> {
  const p = point.payload;
  return {
    id: point.id,
    vector: point.vector,
    tenantId: p.tenantId,
    documentId: p.documentId,
    batchId: p.batchId,
    version: p.version,
    chunkIndex: p.chunkIndex,
    text: p.text,
    filename: p.filename,
    page: p.page,
    heading: p.heading,
    sheet: p.sheet,
    rowStart: p.rowStart,
    rowEnd: p.rowEnd,
  };
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
  return parts.length > 0 ? parts.join(' AND ') : undefined;
}

function documentPredicate(documentId: string): string {
  assertSafeId('document id', documentId);
  return `\`documentId\` = ${sqlString(documentId)}`;
}

/** Opens (or creates) the LanceDB database under `dir` and returns the tenant-scoped store. */
export async function createLanceDbStore(options: LanceDbStoreOptions): Promise<VectorStore> {
  const dir = path.resolve(options.dir);
  const retry = options.commitRetry ?? DEFAULT_RETRY;
  await mkdir(dir, { recursive: true });
  const db = await lancedb.connect(dir, { readConsistencyInterval: options.readConsistencyIntervalSeconds ?? 0 });
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
      const opening = db.openTable(name).catch((err: unknown) => {
        if (isTableNotFound(err)) return null;
        throw err;
      });
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
    const actual = await tableDimensions(name, table);
    if (actual !== dimensions) {
      throw new Error(`table ${name} stores ${actual}-dimensional vectors, got ${dimensions}`);
    }
    return table;
  }

  async function getOrCreateTable(name: string, dimensions: number): Promise<lancedb.Table> {
    const existing = await loadTable(name);
    if (existing) return checkDimensions(name, existing, dimensions);
    const created = await enqueue(name, async () => {
      const raced = await loadTable(name);
      if (raced) return raced;
      // existOk: another process may create it first; its commit race surfaces as a retryable conflict.
      const table = await withCommitRetry(retry, () => db.createEmptyTable(name, tableSchema(dimensions), { mode: 'create', existOk: true }));
      tables.set(name, Promise.resolve(table));
      return table;
    });
    return checkDimensions(name, created, dimensions);
  }

  return {
    async ensureCollection(tenantId, dimensions) {
      const name = collectionName(tenantId);
      assertDimensions(dimensions);
      assertOpen();
      await getOrCreateTable(name, dimensions);
    },

    async upsert(tenantId, points) {
      const name = collectionName(tenantId);
      if (points.length === 0) return;
      const dimensions = validatePoints(tenantId, points);
      assertOpen();
      const rows = lastPerId(points).map(toRow);
      const table = await getOrCreateTable(name, dimensions);
      await enqueue(name, () => withCommitRetry(retry, () => table.mergeInsert('id').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(rows)));
    },

    async search(tenantId, vector, limit, filter) {
      const name = collectionName(tenantId);
      if (!Number.isSafeInteger(limit) || limit < 0) throw new Error(`invalid limit ${String(limit)}`);
      const where = whereClause(filter);
      assertOpen();
      if (where === null || limit === 0) return [];
      const table = await loadTable(name);
      if (!table) return [];
      let query = table
        .vectorSearch(vector)
        .column('vector')
        .distanceType('cosine')
        .limit(limit)
        .select(['id', ...PAYLOAD_COLUMNS, '_distance']);
      if (where) query = query.where(where);
      const rows = (await query.toArray()) as Record<string, unknown>[];
      return rows.map((row): SearchHit => ({
        id: String(row.id),
        // Cosine distance is 1 - cosine similarity; report the similarity, as Qdrant does.
        score: 1 - Number(row._distance),
        payload: payloadFromRecord(row),
      }));
    },

    async deleteDocument(tenantId, documentId) {
      const name = collectionName(tenantId);
      const predicate = documentPredicate(documentId);
      assertOpen();
      const table = await loadTable(name);
      if (!table) return;
      await enqueue(name, () => withCommitRetry(retry, () => table.delete(predicate)));
    },

    async countDocument(tenantId, documentId) {
      const name = collectionName(tenantId);
      const predicate = documentPredicate(documentId);
      assertOpen();
      const table = await loadTable(name);
      return table ? table.countRows(predicate) : 0;
    },

    async countAll(tenantId) {
      const name = collectionName(tenantId);
      assertOpen();
      const table = await loadTable(name);
      return table ? table.countRows() : 0;
    },

    async listDocumentPointIds(tenantId, documentId) {
      const name = collectionName(tenantId);
      const predicate = documentPredicate(documentId);
      assertOpen();
      const table = await loadTable(name);
      if (!table) return [];
      const rows = (await table.query().where(predicate).select(['id']).toArray()) as { id: string }[];
      return rows.map((r) => String(r.id)).sort();
    },

    async listPointRefs(tenantId) {
      const name = collectionName(tenantId);
      assertOpen();
      const table = await loadTable(name);
      if (!table) return [];
      const rows = (await table.query().select(['id', 'documentId', 'version', 'chunkIndex']).toArray()) as Record<string, unknown>[];
      return rows.map((r): PointRef => ({ id: String(r.id), documentId: String(r.documentId), version: Number(r.version), chunkIndex: Number(r.chunkIndex) }));
    },

    async deletePoints(tenantId, ids) {
      const name = collectionName(tenantId);
      assertOpen();
      if (ids.length === 0) return;
      const table = await loadTable(name);
      if (!table) return;
      // Bounded predicates: one statement per few hundred ids keeps the SQL small.
      for (let i = 0; i < ids.length; i += DELETE_IDS_PER_STATEMENT) {
        const predicate = inList('id', 'point id', ids.slice(i, i + DELETE_IDS_PER_STATEMENT));
        await enqueue(name, () => withCommitRetry(retry, () => table.delete(predicate)));
      }
    },

    async compact(tenantId) {
      const name = collectionName(tenantId);
      assertOpen();
      const table = await loadTable(name);
      if (!table) return 'no table';
      // Every merge-insert leaves a version and small files behind. Versions younger than the
      // grace period are kept, so another process still reading one is never cut off.
      const cleanupOlderThan = new Date(Date.now() - COMPACTION_VERSION_GRACE_MS);
      const stats = await enqueue(name, () => withCommitRetry(retry, () => table.optimize({ cleanupOlderThan })));
      return `${stats.compaction.fragmentsRemoved} fragments merged into ${stats.compaction.fragmentsAdded}, ${stats.prune.oldVersionsRemoved} old versions removed`;
    },

    async health() {
      try {
        assertOpen();
        // Usable = we can write a file there and LanceDB can list it.
        const probe = path.join(dir, `.health-${process.pid}-${randomUUID()}`);
        await writeFile(probe, 'ok');
        await rm(probe, { force: true });
        await db.tableNames({ limit: 1 });
        return { ok: true, detail: `lancedb at ${dir}` };
      } catch (err) {
        return { ok: false, detail: `lancedb at ${dir} unusable: ${err instanceof Error ? err.message : String(err)}` };
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      await drain(); // let in-flight writes commit before their tables are closed
      const opened = await Promise.allSettled([...tables.values()]);
      for (const r of opened) if (r.status === 'fulfilled' && r.value) r.value.close();
      tables.clear();
      db.close();
    },
  };
}
