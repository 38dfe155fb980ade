/**
 * Versioned schema migrations of the PostgreSQL catalog. Every process (API replicas, worker
 * pools, `npm run tenant`) applies the pending ones when it opens the catalog, so a deploy needs
 * no separate migration step. All of it runs in one transaction holding a transaction-level
 * advisory lock: processes that start together queue on the lock, the first applies the
 * migrations, the others then find nothing left to do. PostgreSQL DDL is transactional, so a
 * migration that fails leaves the schema exactly as it was.
 *
 * Rules for new migrations: append, never edit or renumber a released one; versions are 1..n
 * without gaps.
 */
import type { Pool, PoolClient } from 'pg';
import { inTransaction } from './postgres-transaction.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Key of the advisory lock that serialises migrations ("docflow" in ASCII). Advisory locks are
 * scoped to one database, so catalogs in different databases never wait for each other.
 */
export const MIGRATION_LOCK_KEY = 0x646f63666c6f77n;

/** The table recording which migrations a database has. */
export const MIGRATIONS_TABLE = 'catalog_migrations';

// Identifiers sort and compare byte-wise (COLLATE "C"), as SQLite's default BINARY collation
// does, so listings come back in the same order from either catalog whatever the server locale.
// Times of records are timestamptz; the documents' startedAt/finishedAt are ms since the epoch
// (bigint), as the Catalog interface defines them.
export const CATALOG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'tenants, api keys, batches, documents',
    sql: `
CREATE TABLE tenants (
  id TEXT COLLATE "C" PRIMARY KEY,
  created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE api_keys (
  id TEXT COLLATE "C" PRIMARY KEY,
  tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants(id),
  prefix TEXT COLLATE "C" NOT NULL,
  key_hash TEXT COLLATE "C" NOT NULL UNIQUE,
  created_at TIMESTAMPTZ NOT NULL,
  revoked_at TIMESTAMPTZ
);
CREATE INDEX api_keys_prefix ON api_keys(prefix);
CREATE TABLE batches (
  id TEXT COLLATE "C" PRIMARY KEY,
  tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants(id),
  workflow_id TEXT NOT NULL,
  status TEXT NOT NULL,
  document_count INTEGER NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  finished_at TIMESTAMPTZ,
  idempotency_key TEXT COLLATE "C",
  final_seq BIGINT,
  current_run INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX batches_idempotency ON batches(tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX batches_tenant_created ON batches(tenant_id, created_at DESC, id);
CREATE TABLE documents (
  id TEXT COLLATE "C" PRIMARY KEY,
  tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants(id),
  batch_id TEXT COLLATE "C" NOT NULL REFERENCES batches(id),
  position INTEGER NOT NULL,
  filename TEXT NOT NULL,
  format TEXT NOT NULL,
  content_hash TEXT COLLATE "C" NOT NULL,
  size BIGINT NOT NULL,
  blob_key TEXT COLLATE "C" NOT NULL,
  status TEXT NOT NULL,
  chunks INTEGER NOT NULL DEFAULT 0,
  error_code TEXT,
  error_message TEXT,
  version INTEGER NOT NULL DEFAULT 1,
  duplicate_of TEXT COLLATE "C",
  run INTEGER NOT NULL DEFAULT 1,
  attempt INTEGER NOT NULL DEFAULT 0,
  started_at BIGINT,
  finished_at BIGINT,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX documents_batch ON documents(batch_id, position);
CREATE INDEX documents_tenant_hash ON documents(tenant_id, content_hash, status);
CREATE INDEX documents_tenant_created ON documents(tenant_id, created_at DESC, batch_id, position);
CREATE INDEX documents_blob ON documents(blob_key);
`,
  },
  {
    version: 2,
    name: 'document versions: active and pending',
    // Existing documents: active = their indexed version, nothing pending. Search asks for the
    // documents with a pending version on every query, so only those rows are indexed.
    sql: `
ALTER TABLE documents ADD COLUMN active_version INTEGER NOT NULL DEFAULT 1;
UPDATE documents SET active_version = version WHERE version <> 1;
ALTER TABLE documents ADD COLUMN pending_version INTEGER;
CREATE INDEX documents_pending ON documents(tenant_id) WHERE pending_version IS NOT NULL;
`,
  },
  {
    version: 3,
    name: 'index spaces: generations of a tenant collection per embedding model',
    // No rows for existing tenants: a tenant without rows is on generation 1 with the configured
    // model. The partial unique indexes hold the invariants even against a buggy caller: one
    // active, one building and one retiring space per tenant at most (that building and retiring
    // never coexist is beginIndexSpace's rule; an index cannot say it and let activation swap).
    sql: `
CREATE TABLE index_spaces (
  tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants(id),
  generation INTEGER NOT NULL CHECK (generation >= 1),
  model TEXT NOT NULL,
  dimensions INTEGER NOT NULL CHECK (dimensions > 0),
  state TEXT NOT NULL CHECK (state IN ('building', 'active', 'retiring', 'retired', 'abandoned')),
  workflow_id TEXT,
  created_at TIMESTAMPTZ NOT NULL,
  activated_at TIMESTAMPTZ,
  PRIMARY KEY (tenant_id, generation)
);
CREATE UNIQUE INDEX index_spaces_one_active ON index_spaces(tenant_id) WHERE state = 'active';
CREATE UNIQUE INDEX index_spaces_one_building ON index_spaces(tenant_id) WHERE state = 'building';
CREATE UNIQUE INDEX index_spaces_one_retiring ON index_spaces(tenant_id) WHERE state = 'retiring';
`,
  },
  {
    version: 4,
    name: 'documents: the last re-index failure',
    // Existing documents: none recorded (the reason of an earlier failed re-index was never kept).
    sql: `
ALTER TABLE documents ADD COLUMN reindex_failure_code TEXT;
ALTER TABLE documents ADD COLUMN reindex_failure_message TEXT;
ALTER TABLE documents ADD COLUMN reindex_failure_version INTEGER;
ALTER TABLE documents ADD COLUMN reindex_failure_at TIMESTAMPTZ;
`,
  },
];

/** Throws unless versions run 1..n in order: a gap or a duplicate is a programming error. */
export function checkMigrationList(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`catalog migration #${i + 1} has version ${m.version}; versions must be 1..n in order`);
  });
}

export interface MigrationResult {
  /** Versions this call applied (empty when the database was already up to date). */
  applied: number[];
  /** The schema version after the call. */
  version: number;
}

/**
 * Brings the database to the newest version of `migrations`. Safe to call from many processes at
 * once. Refuses a database whose schema is newer than this build knows (a rolled-back deploy
 * talking to a migrated database), rather than guess what the newer columns mean.
 */
export async function migrateCatalog(pool: Pool, migrations: readonly Migration[] = CATALOG_MIGRATIONS): Promise<MigrationResult> {
  checkMigrationList(migrations);
  return inTransaction(pool, (client) => applyPending(client, migrations));
}

async function applyPending(client: PoolClient, migrations: readonly Migration[]): Promise<MigrationResult> {
  // Released automatically at COMMIT or ROLLBACK, also when the connection dies.
  await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
       version INTEGER PRIMARY KEY,
       name TEXT NOT NULL,
       applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
     )`,
  );
  const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${MIGRATIONS_TABLE} ORDER BY version`);
  const done = new Set(rows.map((r) => r.version));
  const newest = rows.length > 0 ? rows[rows.length - 1].version : 0;
  if (newest > migrations.length) {
    throw new Error(
      `the catalog database is at schema version ${newest}, newer than this build knows (${migrations.length}); run a build at least as new as the one that migrated it`,
    );
  }
  const applied: number[] = [];
  for (const migration of migrations) {
    if (done.has(migration.version)) continue;
    await client.query(migration.sql);
    await client.query(`INSERT INTO ${MIGRATIONS_TABLE} (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
    applied.push(migration.version);
  }
  return { applied, version: migrations.length };
}
