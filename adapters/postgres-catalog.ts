/**
 * PostgreSQL catalog, selected with DATABASE_URL: the API replicas and the worker pools on any
 * number of hosts share it. Same behaviour as the SQLite catalog (the shared contract suite in
 * catalog.contract.ts runs against both): the same records, ISO timestamps, orderings, filters
 * and tenant scoping. Every statement is parameterised; the connection string is never logged
 * and its password is cut out of every error this module produces.
 */
import pg from 'pg';
import type { BatchStatus } from '../core/progress.js';
import { assertGeneration } from '../core/ids.js';
import {
  parseIndexSpaceArgs,
  type ApiKeyRecord,
  type BatchRecord,
  type Catalog,
  type DocumentRecord,
  type DocumentUpdate,
  type IndexSpaceRecord,
  type IndexSpaceState,
  type ReindexFailure,
  type ReindexFailureRecord,
  type TenantRecord,
} from './catalog.js';
import { CATALOG_MIGRATIONS, migrateCatalog, type Migration } from './postgres-migrations.js';
import { inTransaction } from './postgres-transaction.js';

export interface PostgresCatalogOptions {
  /** `postgres://user:password@host:5432/database`, optionally with `?sslmode=...`. */
  connectionString: string;
  /** Connections kept by this process (DATABASE_POOL_SIZE). */
  poolSize?: number;
  now?: () => Date;
  /** Longest `health()` waits for `select 1` before reporting the catalog down. */
  healthTimeoutMs?: number;
  /** How long a query waits for a free pooled connection (or a new one) before failing. */
  connectTimeoutMs?: number;
  /** Told about errors of idle pooled connections (a server restart), already redacted. */
  onPoolError?: (message: string) => void;
  /** Schema migrations to apply at open; the real list unless a test needs another. */
  migrations?: readonly Migration[];
}

export const DEFAULT_POOL_SIZE = 10;

/** A connection string with its password (and nothing else) replaced, safe to show. */
export function redactConnectionString(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(unparseable connection string)';
  }
}

/** `user@host:port/database`: enough to tell which server an error is about, no secret. */
export function describeTarget(connectionString: string): string {
  const url = new URL(connectionString);
  const user = url.username ? `${decodeURIComponent(url.username)}@` : '';
  return `${user}${url.hostname}:${url.port || '5432'}${url.pathname || '/'}`;
}

/** Checks the URL's shape before pg sees it, so a typo fails with a message and no secret. */
export function parseDatabaseUrl(connectionString: string): URL {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    // Not the input: it may be a connection string with a password in it.
    throw new Error('DATABASE_URL is not a valid URL; expected postgres://user:password@host:5432/database');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new Error(`DATABASE_URL must start with postgres:// or postgresql:// (got ${url.protocol}//)`);
  }
  if (!url.hostname) throw new Error('DATABASE_URL has no host; expected postgres://user:password@host:5432/database');
  return url;
}

/** Removes the password (raw and URL-encoded) and the whole connection string from a message. */
function redactor(connectionString: string): (message: string) => string {
  const url = new URL(connectionString);
  const secrets = [connectionString, url.password, url.password ? decodeURIComponent(url.password) : ''].filter((s) => s.length >= 3).sort((a, b) => b.length - a.length);
  return (message) => secrets.reduce((text, secret) => text.split(secret).join('***'), message);
}

type Row = Record<string, unknown>;

const iso = (value: unknown): string => (value as Date).toISOString();
const isoOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : iso(value));
// node-pg returns bigint columns as strings (they may exceed 2^53); ours hold sizes, ms since the
// epoch and sequence numbers, all far below that.
const int = (value: unknown): number => Number(value);
const intOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

const toTenant = (r: Row): TenantRecord => ({ id: r.id as string, createdAt: iso(r.created_at) });

const toKey = (r: Row): ApiKeyRecord => ({
  id: r.id as string,
  tenantId: r.tenant_id as string,
  prefix: r.prefix as string,
  createdAt: iso(r.created_at),
  revokedAt: isoOrNull(r.revoked_at),
});

const toBatch = (r: Row): BatchRecord => ({
  id: r.id as string,
  tenantId: r.tenant_id as string,
  workflowId: r.workflow_id as string,
  status: r.status as BatchStatus,
  documentCount: int(r.document_count),
  createdAt: iso(r.created_at),
  finishedAt: isoOrNull(r.finished_at),
  idempotencyKey: (r.idempotency_key as string | null) ?? null,
  finalSeq: intOrNull(r.final_seq),
  currentRun: int(r.current_run),
});

const toDocument = (r: Row): DocumentRecord => ({
  id: r.id as string,
  tenantId: r.tenant_id as string,
  batchId: r.batch_id as string,
  position: int(r.position),
  filename: r.filename as string,
  format: r.format as string,
  contentHash: r.content_hash as string,
  size: int(r.size),
  blobKey: r.blob_key as string,
  status: r.status as DocumentRecord['status'],
  chunks: int(r.chunks),
  errorCode: (r.error_code as DocumentRecord['errorCode']) ?? null,
  errorMessage: (r.error_message as string | null) ?? null,
  version: int(r.version),
  activeVersion: int(r.active_version),
  pendingVersion: intOrNull(r.pending_version),
  duplicateOf: (r.duplicate_of as string | null) ?? null,
  lastReindexFailure:
    r.reindex_failure_code === null || r.reindex_failure_code === undefined
      ? null
      : {
          code: r.reindex_failure_code as ReindexFailureRecord['code'],
          message: (r.reindex_failure_message as string | null) ?? '',
          version: int(r.reindex_failure_version),
          at: iso(r.reindex_failure_at),
        },
  run: int(r.run),
  attempt: int(r.attempt),
  startedAt: intOrNull(r.started_at),
  finishedAt: intOrNull(r.finished_at),
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

const toIndexSpace = (r: Row): IndexSpaceRecord => ({
  tenantId: r.tenant_id as string,
  generation: int(r.generation),
  model: r.model as string,
  dimensions: int(r.dimensions),
  state: r.state as IndexSpaceState,
  workflowId: (r.workflow_id as string | null) ?? null,
  createdAt: iso(r.created_at),
  activatedAt: isoOrNull(r.activated_at),
});

/** The last update per document wins, as when SQLite applies them one after another. */
function lastUpdatePerDocument(updates: DocumentUpdate[]): DocumentUpdate[] {
  const byId = new Map<string, DocumentUpdate>();
  for (const u of updates) {
    byId.delete(u.documentId);
    byId.set(u.documentId, u);
  }
  return [...byId.values()];
}

/**
 * Opens the catalog: checks the URL, connects, applies pending migrations. Rejects (with the
 * password redacted) when the server cannot be reached or the schema cannot be brought up to date.
 */
export async function openPostgresCatalog(options: PostgresCatalogOptions): Promise<Catalog> {
  parseDatabaseUrl(options.connectionString);
  const redact = redactor(options.connectionString);
  const target = describeTarget(options.connectionString);
  const now = options.now ?? (() => new Date());
  const stamp = () => now().toISOString();
  const healthTimeoutMs = options.healthTimeoutMs ?? 2_000;
  const poolSize = options.poolSize ?? DEFAULT_POOL_SIZE;
  if (!Number.isInteger(poolSize) || poolSize < 1) throw new Error(`PostgreSQL pool size must be a positive integer (got ${poolSize})`);

  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: poolSize,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    idleTimeoutMillis: 30_000,
    application_name: 'docflow',
  });
  const reportPoolError =
    options.onPoolError ?? ((message: string) => console.error(JSON.stringify({ level: 'error', msg: 'postgresql catalog connection error', target, error: message })));
  // Without a listener, an idle connection dropped by the server would crash the process.
  pool.on('error', (err) => reportPoolError(redact(err.message)));

  const failure = (what: string, err: unknown) => new Error(`PostgreSQL catalog (${target}): ${what}: ${redact(err instanceof Error ? err.message : String(err))}`);
  try {
    await migrateCatalog(pool, options.migrations ?? CATALOG_MIGRATIONS);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw failure('could not open and migrate the catalog', err);
  }

  const query = async (text: string, values: unknown[] = []): Promise<pg.QueryResult<Row>> => pool.query<Row>(text, values);

  const transaction = <T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> => inTransaction(pool, work);

  const one = async (text: string, values: unknown[]): Promise<Row | null> => (await query(text, values)).rows[0] ?? null;

  return {
    async ensureTenant(tenantId) {
      await query('INSERT INTO tenants (id, created_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [tenantId, stamp()]);
      return toTenant((await one('SELECT * FROM tenants WHERE id = $1', [tenantId]))!);
    },
    async getTenant(tenantId) {
      const row = await one('SELECT * FROM tenants WHERE id = $1', [tenantId]);
      return row ? toTenant(row) : null;
    },
    async listTenants() {
      return (await query('SELECT * FROM tenants ORDER BY id')).rows.map(toTenant);
    },
    async addApiKey(tenantId, keyHash, prefix) {
      const id = `key_${keyHash.slice(0, 16)}`;
      const { rows } = await query('INSERT INTO api_keys (id, tenant_id, prefix, key_hash, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING *', [
        id,
        tenantId,
        prefix,
        keyHash,
        stamp(),
      ]);
      return toKey(rows[0]);
    },
    async findTenantByKeyHash(keyHash) {
      const row = await one('SELECT tenant_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL', [keyHash]);
      return row ? (row.tenant_id as string) : null;
    },
    async listApiKeys(tenantId) {
      const { rows } = tenantId
        ? await query('SELECT * FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, id', [tenantId])
        : await query('SELECT * FROM api_keys ORDER BY tenant_id, created_at, id');
      return rows.map(toKey);
    },
    async revokeApiKeys(prefix) {
      return (await query('UPDATE api_keys SET revoked_at = $1 WHERE prefix = $2 AND revoked_at IS NULL', [stamp(), prefix])).rowCount ?? 0;
    },
    async createBatch(batch, documents) {
      const at = stamp();
      await transaction(async (client) => {
        await client.query(
          `INSERT INTO batches (id, tenant_id, workflow_id, status, document_count, created_at, idempotency_key)
           VALUES ($1, $2, $3, 'running', $4, $5, $6)`,
          [batch.id, batch.tenantId, batch.workflowId, batch.documentCount, at, batch.idempotencyKey],
        );
        if (documents.length === 0) return;
        // One statement for the whole batch, whatever its size: parallel arrays unnested into rows.
        await client.query(
          `INSERT INTO documents (id, tenant_id, batch_id, position, filename, format, content_hash, size, blob_key, status, duplicate_of, created_at, updated_at)
           SELECT d.id, $1, $2, d.position - 1, d.filename, d.format, d.content_hash, d.size, d.blob_key, d.status, d.duplicate_of, $3, $3
           FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[], $10::text[], $11::text[])
                WITH ORDINALITY AS d(id, filename, format, content_hash, size, blob_key, status, duplicate_of, position)`,
          [
            batch.tenantId,
            batch.id,
            at,
            documents.map((d) => d.id),
            documents.map((d) => d.filename),
            documents.map((d) => d.format),
            documents.map((d) => d.contentHash),
            documents.map((d) => d.size),
            documents.map((d) => d.blobKey),
            documents.map((d) => (d.duplicateOf ? 'skipped' : 'queued')),
            documents.map((d) => d.duplicateOf),
          ],
        );
      });
    },
    async getBatch(tenantId, batchId) {
      const row = await one('SELECT * FROM batches WHERE id = $1 AND tenant_id = $2', [batchId, tenantId]);
      return row ? toBatch(row) : null;
    },
    async findBatchByIdempotencyKey(tenantId, key) {
      const row = await one('SELECT * FROM batches WHERE tenant_id = $1 AND idempotency_key = $2', [tenantId, key]);
      return row ? toBatch(row) : null;
    },
    async listBatches(tenantId, { limit, offset, status }) {
      const { rows } = status
        ? await query('SELECT * FROM batches WHERE tenant_id = $1 AND status = $2 ORDER BY created_at DESC, id LIMIT $3 OFFSET $4', [tenantId, status, limit, offset])
        : await query('SELECT * FROM batches WHERE tenant_id = $1 ORDER BY created_at DESC, id LIMIT $2 OFFSET $3', [tenantId, limit, offset]);
      return rows.map(toBatch);
    },
    async setBatchStatus(tenantId, batchId, status, finalSeq) {
      const finishedAt = status === 'running' ? null : stamp();
      await query('UPDATE batches SET status = $1, finished_at = $2, final_seq = $3 WHERE id = $4 AND tenant_id = $5', [status, finishedAt, finalSeq ?? null, batchId, tenantId]);
    },
    async getDocument(tenantId, documentId) {
      const row = await one('SELECT * FROM documents WHERE id = $1 AND tenant_id = $2', [documentId, tenantId]);
      return row ? toDocument(row) : null;
    },
    async listBatchDocuments(tenantId, batchId, offset, limit, run) {
      const { rows } =
        run === undefined
          ? await query('SELECT * FROM documents WHERE tenant_id = $1 AND batch_id = $2 ORDER BY position LIMIT $3 OFFSET $4', [tenantId, batchId, limit, offset])
          : await query('SELECT * FROM documents WHERE tenant_id = $1 AND batch_id = $2 AND run = $3 ORDER BY position LIMIT $4 OFFSET $5', [
              tenantId,
              batchId,
              run,
              limit,
              offset,
            ]);
      return rows.map(toDocument);
    },
    async listDocumentsAfter(tenantId, afterId, limit) {
      // COLLATE "C": byte order, the order SQLite compares ids in, so both walk the same way.
      const { rows } = await query('SELECT * FROM documents WHERE tenant_id = $1 AND id COLLATE "C" > $2 ORDER BY id COLLATE "C" LIMIT $3', [tenantId, afterId ?? '', limit]);
      return rows.map(toDocument);
    },
    async listDocuments(tenantId, { limit, offset, status, batchId }) {
      const values: unknown[] = [tenantId];
      const where = ['tenant_id = $1'];
      if (status) {
        values.push(status);
        where.push(`status = $${values.length}`);
      }
      if (batchId) {
        values.push(batchId);
        where.push(`batch_id = $${values.length}`);
      }
      values.push(limit, offset);
      const { rows } = await query(
        `SELECT * FROM documents WHERE ${where.join(' AND ')} ORDER BY created_at DESC, batch_id, position LIMIT $${values.length - 1} OFFSET $${values.length}`,
        values,
      );
      return rows.map(toDocument);
    },
    async startRetry(tenantId, batchId, documentIds, workflowIdForRun) {
      return transaction(async (client) => {
        // The row lock makes two simultaneous retries of one batch take turns: the second sees
        // the batch running again and gets null, as with SQLite's serialised transactions.
        const batch = (await client.query<Row>('SELECT * FROM batches WHERE id = $1 AND tenant_id = $2 FOR UPDATE', [batchId, tenantId])).rows[0];
        if (!batch || batch.status === 'running') return null;
        const run = int(batch.current_run) + 1;
        const candidates = (
          await client.query<Row>("SELECT id FROM documents WHERE tenant_id = $1 AND batch_id = $2 AND status IN ('failed', 'cancelled') ORDER BY position", [tenantId, batchId])
        ).rows.map((r) => r.id as string);
        const wanted = documentIds === 'all' ? candidates : candidates.filter((id) => documentIds.includes(id));
        if (wanted.length === 0) return { run, documentIds: [] };
        // A retried document is built at its newest version, which is then the active one (as on upload).
        await client.query(
          `UPDATE documents SET run = $1, status = 'queued', error_code = NULL, error_message = NULL, attempt = 0, started_at = NULL, finished_at = NULL, chunks = 0,
             active_version = version, pending_version = NULL, reindex_failure_code = NULL, reindex_failure_message = NULL, reindex_failure_version = NULL,
             reindex_failure_at = NULL, updated_at = $2
           WHERE id = ANY($3::text[]) AND tenant_id = $4`,
          [run, stamp(), wanted, tenantId],
        );
        await client.query("UPDATE batches SET current_run = $1, status = 'running', workflow_id = $2, finished_at = NULL, final_seq = NULL WHERE id = $3 AND tenant_id = $4", [
          run,
          workflowIdForRun(run),
          batchId,
          tenantId,
        ]);
        return { run, documentIds: wanted };
      });
    },
    async startReindex(tenantId, batchId, documentIds, workflowIdForRun) {
      return transaction(async (client) => {
        // The batch row lock serialises this with retries and other re-indexes of the batch, as in startRetry.
        const batch = (await client.query<Row>('SELECT * FROM batches WHERE id = $1 AND tenant_id = $2 FOR UPDATE', [batchId, tenantId])).rows[0];
        if (!batch || batch.status === 'running') return null;
        const run = int(batch.current_run) + 1;
        const candidates = (
          await client.query<Row>(
            "SELECT id FROM documents WHERE tenant_id = $1 AND batch_id = $2 AND status = 'indexed' AND duplicate_of IS NULL AND pending_version IS NULL ORDER BY position",
            [tenantId, batchId],
          )
        ).rows.map((r) => r.id as string);
        const wanted = documentIds === 'all' ? candidates : candidates.filter((id) => documentIds.includes(id));
        if (wanted.length === 0) return { run, documentIds: [] };
        await client.query('UPDATE documents SET run = $1, version = version + 1, pending_version = version + 1, updated_at = $2 WHERE id = ANY($3::text[]) AND tenant_id = $4', [
          run,
          stamp(),
          wanted,
          tenantId,
        ]);
        await client.query("UPDATE batches SET current_run = $1, status = 'running', workflow_id = $2, finished_at = NULL, final_seq = NULL WHERE id = $3 AND tenant_id = $4", [
          run,
          workflowIdForRun(run),
          batchId,
          tenantId,
        ]);
        return { run, documentIds: wanted };
      });
    },
    async activateVersions(tenantId, updates) {
      const latest = lastUpdatePerDocument(updates);
      if (latest.length === 0) return;
      // One statement: each row's SET reads the row as it was, so the old active version becomes the pending one.
      await query(
        `UPDATE documents AS d SET active_version = d.pending_version, pending_version = d.active_version, status = 'indexed', chunks = u.chunks,
           error_code = NULL, error_message = NULL, reindex_failure_code = NULL, reindex_failure_message = NULL, reindex_failure_version = NULL,
           reindex_failure_at = NULL, attempt = u.attempt, started_at = u.started_at, finished_at = u.finished_at, updated_at = $1
         FROM unnest($2::text[], $3::int[], $4::int[], $5::bigint[], $6::bigint[]) AS u(id, chunks, attempt, started_at, finished_at)
         WHERE d.id = u.id AND d.tenant_id = $7 AND d.pending_version > d.active_version`,
        [
          stamp(),
          latest.map((u) => u.documentId),
          latest.map((u) => u.chunks),
          latest.map((u) => u.attempt),
          latest.map((u) => u.startedAt),
          latest.map((u) => u.finishedAt),
          tenantId,
        ],
      );
    },
    async recordReindexFailures(tenantId, failures) {
      // The first failure per document wins, as when SQLite applies them one after another.
      const byId = new Map<string, ReindexFailure>();
      for (const f of failures) if (!byId.has(f.documentId)) byId.set(f.documentId, f);
      if (byId.size === 0) return;
      const latest = [...byId.values()];
      // IS DISTINCT FROM compares with NULL too: a document without a recorded failure gets this one.
      await query(
        `UPDATE documents AS d SET reindex_failure_code = u.code, reindex_failure_message = u.message, reindex_failure_version = d.version,
           reindex_failure_at = $1, updated_at = $1
         FROM unnest($2::text[], $3::text[], $4::text[]) AS u(id, code, message)
         WHERE d.id = u.id AND d.tenant_id = $5 AND d.status = 'indexed' AND d.version > d.active_version
           AND d.reindex_failure_version IS DISTINCT FROM d.version`,
        [stamp(), latest.map((f) => f.documentId), latest.map((f) => f.code), latest.map((f) => f.message), tenantId],
      );
    },
    async settleVersions(tenantId, documentIds) {
      if (documentIds.length === 0) return;
      await query('UPDATE documents SET pending_version = NULL, updated_at = $1 WHERE id = ANY($2::text[]) AND tenant_id = $3 AND pending_version IS NOT NULL', [
        stamp(),
        documentIds,
        tenantId,
      ]);
    },
    async listPendingVersions(tenantId) {
      const { rows } = await query('SELECT id, active_version FROM documents WHERE tenant_id = $1 AND pending_version IS NOT NULL ORDER BY id', [tenantId]);
      return rows.map((r) => ({ documentId: r.id as string, activeVersion: int(r.active_version) }));
    },
    async cancelOpenDocuments(tenantId, batchId, run, message) {
      const result = await query(
        `UPDATE documents SET status = 'cancelled', error_code = 'cancelled', error_message = $1, updated_at = $2
         WHERE tenant_id = $3 AND batch_id = $4 AND run = $5 AND status IN ('queued', 'parsing', 'chunking', 'embedding')`,
        [message, stamp(), tenantId, batchId, run],
      );
      return result.rowCount ?? 0;
    },
    async deleteDocument(tenantId, documentId) {
      return transaction(async (client) => {
        const row = (await client.query<Row>('SELECT blob_key FROM documents WHERE id = $1 AND tenant_id = $2', [documentId, tenantId])).rows[0];
        if (!row) return null;
        const blobKey = row.blob_key as string;
        // Deletes of documents sharing a blob take turns, so the last one to go always learns the
        // blob is free; without it two concurrent deletes could each still see the other's row.
        await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`docflow-blob:${blobKey}`]);
        const deleted = await client.query('DELETE FROM documents WHERE id = $1 AND tenant_id = $2', [documentId, tenantId]);
        if (deleted.rowCount === 0) return null; // deleted by a concurrent call meanwhile
        const others = (await client.query<Row>('SELECT COUNT(*) AS n FROM documents WHERE blob_key = $1', [blobKey])).rows[0];
        return { blobKey, blobStillUsed: int(others.n) > 0 };
      });
    },
    async findIndexedByHash(tenantId, contentHash) {
      const row = await one("SELECT * FROM documents WHERE tenant_id = $1 AND content_hash = $2 AND status = 'indexed' ORDER BY created_at, batch_id, position LIMIT 1", [
        tenantId,
        contentHash,
      ]);
      return row ? toDocument(row) : null;
    },
    async updateDocuments(tenantId, updates) {
      const latest = lastUpdatePerDocument(updates);
      if (latest.length === 0) return;
      const ids = latest.map((u) => u.documentId);
      await transaction(async (client) => {
        // Workers record outcomes of overlapping documents at the same time. Locking the rows in
        // one fixed order first means two such transactions queue instead of deadlocking.
        await client.query('SELECT id FROM documents WHERE id = ANY($1::text[]) AND tenant_id = $2 ORDER BY id FOR UPDATE', [ids, tenantId]);
        await client.query(
          `UPDATE documents AS d SET status = u.status, chunks = u.chunks, error_code = u.error_code, error_message = u.error_message,
             attempt = u.attempt, started_at = u.started_at, finished_at = u.finished_at, updated_at = $1
           FROM unnest($2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::int[], $8::bigint[], $9::bigint[])
                AS u(id, status, chunks, error_code, error_message, attempt, started_at, finished_at)
           WHERE d.id = u.id AND d.tenant_id = $10`,
          [
            stamp(),
            ids,
            latest.map((u) => u.status),
            latest.map((u) => u.chunks),
            latest.map((u) => u.errorCode),
            latest.map((u) => u.errorMessage),
            latest.map((u) => u.attempt),
            latest.map((u) => u.startedAt),
            latest.map((u) => u.finishedAt),
            tenantId,
          ],
        );
      });
    },
    async listIndexSpaces(tenantId) {
      return (await query('SELECT * FROM index_spaces WHERE tenant_id = $1 ORDER BY generation', [tenantId])).rows.map(toIndexSpace);
    },
    async beginIndexSpace(tenantId, next, current) {
      const args = parseIndexSpaceArgs(next, current);
      return transaction(async (client) => {
        // A tenant's switches take turns (released at COMMIT/ROLLBACK): the second of two
        // simultaneous calls sees the first one's building space and gets null, as with SQLite.
        await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`docflow-index-space:${tenantId}`]);
        const spaces = (await client.query<Row>('SELECT generation, state FROM index_spaces WHERE tenant_id = $1', [tenantId])).rows;
        if (spaces.some((r) => r.state === 'building' || r.state === 'retiring')) return null;
        if (spaces.length === 0) {
          // Generation 1 served since the tenant was created, unrecorded; it is written down the moment it stops being the only one.
          await client.query(
            `INSERT INTO index_spaces (tenant_id, generation, model, dimensions, state, workflow_id, created_at, activated_at)
             SELECT id, 1, $1, $2, 'active', NULL, created_at, created_at FROM tenants WHERE id = $3`,
            [args.current.model, args.current.dimensions, tenantId],
          );
        }
        const generation = Math.max(1, ...spaces.map((r) => int(r.generation))) + 1;
        const { rows } = await client.query<Row>(
          `INSERT INTO index_spaces (tenant_id, generation, model, dimensions, state, workflow_id, created_at, activated_at)
           VALUES ($1, $2, $3, $4, 'building', $5, $6, NULL) RETURNING *`,
          [tenantId, generation, args.next.model, args.next.dimensions, args.next.workflowId, stamp()],
        );
        return toIndexSpace(rows[0]);
      });
    },
    async activateIndexSpace(tenantId, generation) {
      assertGeneration(generation);
      return transaction(async (client) => {
        await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`docflow-index-space:${tenantId}`]);
        // The row lock makes a concurrent closeIndexSpace of this generation wait, then find it active and leave it.
        const building = await client.query("SELECT 1 FROM index_spaces WHERE tenant_id = $1 AND generation = $2 AND state = 'building' FOR UPDATE", [tenantId, generation]);
        if (building.rowCount === 0) return false;
        // The old active one first: the unique index allows one active space per tenant at any moment.
        await client.query("UPDATE index_spaces SET state = 'retiring' WHERE tenant_id = $1 AND state = 'active'", [tenantId]);
        await client.query("UPDATE index_spaces SET state = 'active', activated_at = $1 WHERE tenant_id = $2 AND generation = $3", [stamp(), tenantId, generation]);
        return true;
      });
    },
    async closeIndexSpace(tenantId, generation) {
      assertGeneration(generation);
      await query(
        "UPDATE index_spaces SET state = CASE state WHEN 'retiring' THEN 'retired' ELSE 'abandoned' END WHERE tenant_id = $1 AND generation = $2 AND state IN ('retiring', 'building')",
        [tenantId, generation],
      );
    },
    async health() {
      let timer: NodeJS.Timeout | undefined;
      const probe = pool.query('SELECT 1');
      probe.catch(() => undefined); // a late failure after the timeout has nobody to tell
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer to select 1 within ${healthTimeoutMs} ms`)), healthTimeoutMs);
      });
      try {
        await Promise.race([probe, timeout]);
        return { ok: true, detail: 'postgresql' };
      } catch (err) {
        return { ok: false, detail: `postgresql: ${redact((err as Error).message)}` };
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await pool.end();
    },
  };
}
