/**
 * SQLite catalog, the zero-setup default. WAL mode lets the API and every worker process open
 * the same file; a busy timeout absorbs their short write overlaps.
 */
import Database from 'better-sqlite3';
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
  type NewDocument,
  type ReindexFailure,
  type ReindexFailureRecord,
  type TenantRecord,
} from './catalog.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tenants (
  id TEXT PRIMARY KEY,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  prefix TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS batches (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  workflow_id TEXT NOT NULL,
  status TEXT NOT NULL,
  document_count INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  finished_at TEXT,
  idempotency_key TEXT,
  final_seq INTEGER,
  current_run INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX IF NOT EXISTS batches_idempotency ON batches(tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS batches_tenant_created ON batches(tenant_id, created_at DESC);
CREATE TABLE IF NOT EXISTS documents (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  batch_id TEXT NOT NULL REFERENCES batches(id),
  position INTEGER NOT NULL,
  filename TEXT NOT NULL,
  format TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  size INTEGER NOT NULL,
  blob_key TEXT NOT NULL,
  status TEXT NOT NULL,
  chunks INTEGER NOT NULL DEFAULT 0,
  error_code TEXT,
  error_message TEXT,
  version INTEGER NOT NULL DEFAULT 1,
  active_version INTEGER NOT NULL DEFAULT 1,
  pending_version INTEGER,
  reindex_failure_code TEXT,
  reindex_failure_message TEXT,
  reindex_failure_version INTEGER,
  reindex_failure_at TEXT,
  duplicate_of TEXT,
  run INTEGER NOT NULL DEFAULT 1,
  attempt INTEGER NOT NULL DEFAULT 0,
  started_at INTEGER,
  finished_at INTEGER,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_batch ON documents(batch_id, position);
CREATE INDEX IF NOT EXISTS documents_tenant_hash ON documents(tenant_id, content_hash, status);
CREATE INDEX IF NOT EXISTS documents_tenant_created ON documents(tenant_id, created_at DESC);
CREATE INDEX IF NOT EXISTS documents_blob ON documents(blob_key);
-- Generations of a tenant's vector collection (catalog.ts IndexSpaceRecord). An older file gets the
-- table, empty, when opened: a tenant without rows is on generation 1. The partial unique indexes
-- hold one active, one building and one retiring space per tenant at most.
CREATE TABLE IF NOT EXISTS index_spaces (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  generation INTEGER NOT NULL CHECK (generation >= 1),
  model TEXT NOT NULL,
  dimensions INTEGER NOT NULL CHECK (dimensions > 0),
  state TEXT NOT NULL CHECK (state IN ('building', 'active', 'retiring', 'retired', 'abandoned')),
  workflow_id TEXT,
  created_at TEXT NOT NULL,
  activated_at TEXT,
  PRIMARY KEY (tenant_id, generation)
);
CREATE UNIQUE INDEX IF NOT EXISTS index_spaces_one_active ON index_spaces(tenant_id) WHERE state = 'active';
CREATE UNIQUE INDEX IF NOT EXISTS index_spaces_one_building ON index_spaces(tenant_id) WHERE state = 'building';
CREATE UNIQUE INDEX IF NOT EXISTS index_spaces_one_retiring ON index_spaces(tenant_id) WHERE state = 'retiring';
`;

/**
 * Columns added after the first release, with the statements that add them to an older file
 * (existing documents: active = their indexed version, nothing pending), and what needs them.
 */
const UPGRADES = [
  {
    column: 'active_version',
    sql: 'ALTER TABLE documents ADD COLUMN active_version INTEGER NOT NULL DEFAULT 1; UPDATE documents SET active_version = version WHERE version <> 1;',
  },
  { column: 'pending_version', sql: 'ALTER TABLE documents ADD COLUMN pending_version INTEGER;' },
  // Existing documents: no re-index failure recorded (the reason of an earlier one was never kept).
  {
    column: 'reindex_failure_code',
    sql: `ALTER TABLE documents ADD COLUMN reindex_failure_code TEXT; ALTER TABLE documents ADD COLUMN reindex_failure_message TEXT;
      ALTER TABLE documents ADD COLUMN reindex_failure_version INTEGER; ALTER TABLE documents ADD COLUMN reindex_failure_at TEXT;`,
  },
] as const;

/** Search asks for the documents with a pending version on every query: only those rows are indexed. */
const AFTER_UPGRADES = 'CREATE INDEX IF NOT EXISTS documents_pending ON documents(tenant_id) WHERE pending_version IS NOT NULL;';

type Row = Record<string, unknown>;

const toBatch = (r: Row): BatchRecord => ({
  id: r.id as string,
  tenantId: r.tenant_id as string,
  workflowId: r.workflow_id as string,
  status: r.status as BatchStatus,
  documentCount: r.document_count as number,
  createdAt: r.created_at as string,
  finishedAt: (r.finished_at as string | null) ?? null,
  idempotencyKey: (r.idempotency_key as string | null) ?? null,
  finalSeq: (r.final_seq as number | null) ?? null,
  currentRun: r.current_run as number,
});

const toDocument = (r: Row): DocumentRecord => ({
  id: r.id as string,
  tenantId: r.tenant_id as string,
  batchId: r.batch_id as string,
  position: r.position as number,
  filename: r.filename as string,
  format: r.format as string,
  contentHash: r.content_hash as string,
  size: r.size as number,
  blobKey: r.blob_key as string,
  status: r.status as DocumentRecord['status'],
  chunks: r.chunks as number,
  errorCode: (r.error_code as DocumentRecord['errorCode']) ?? null,
  errorMessage: (r.error_message as string | null) ?? null,
  version: r.version as number,
  activeVersion: r.active_version as number,
  pendingVersion: (r.pending_version as number | null) ?? null,
  duplicateOf: (r.duplicate_of as string | null) ?? null,
  lastReindexFailure:
    r.reindex_failure_code === null || r.reindex_failure_code === undefined
      ? null
      : {
          code: r.reindex_failure_code as ReindexFailureRecord['code'],
          message: (r.reindex_failure_message as string | null) ?? '',
          version: r.reindex_failure_version as number,
          at: r.reindex_failure_at as string,
        },
  run: r.run as number,
  attempt: r.attempt as number,
  startedAt: (r.started_at as number | null) ?? null,
  finishedAt: (r.finished_at as number | null) ?? null,
  createdAt: r.created_at as string,
  updatedAt: r.updated_at as string,
});

const toIndexSpace = (r: Row): IndexSpaceRecord => ({
  tenantId: r.tenant_id as string,
  generation: r.generation as number,
  model: r.model as string,
  dimensions: r.dimensions as number,
  state: r.state as IndexSpaceState,
  workflowId: (r.workflow_id as string | null) ?? null,
  createdAt: r.created_at as string,
  activatedAt: (r.activated_at as string | null) ?? null,
});

const toKey = (r: Row): ApiKeyRecord => ({
  id: r.id as string,
  tenantId: r.tenant_id as string,
  prefix: r.prefix as string,
  createdAt: r.created_at as string,
  revokedAt: (r.revoked_at as string | null) ?? null,
});

/** Opens (and migrates) the SQLite catalog at `file`; ':memory:' for tests. */
export function createSqliteCatalog(file: string, now: () => Date = () => new Date()): Catalog {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 10000');
  db.pragma('foreign_keys = ON');
  db.exec(SCHEMA);
  // One transaction: processes opening an older file together take turns, and the loser finds the columns there.
  db.transaction(() => {
    const have = new Set((db.prepare('PRAGMA table_info(documents)').all() as Row[]).map((r) => r.name as string));
    for (const upgrade of UPGRADES) if (!have.has(upgrade.column)) db.exec(upgrade.sql);
  }).immediate();
  db.exec(AFTER_UPGRADES);
  const stamp = () => now().toISOString();

  const insertDocument = db.prepare(
    `INSERT INTO documents (id, tenant_id, batch_id, position, filename, format, content_hash, size, blob_key, status, duplicate_of, created_at, updated_at)
     VALUES (@id, @tenantId, @batchId, @position, @filename, @format, @contentHash, @size, @blobKey, @status, @duplicateOf, @now, @now)`,
  );
  const insertBatch = db.prepare(
    `INSERT INTO batches (id, tenant_id, workflow_id, status, document_count, created_at, idempotency_key)
     VALUES (@id, @tenantId, @workflowId, 'running', @documentCount, @now, @idempotencyKey)`,
  );
  const createBatchTx = db.transaction((batch: Omit<BatchRecord, 'status' | 'finishedAt' | 'createdAt' | 'finalSeq' | 'currentRun'>, documents: NewDocument[]) => {
    const now = stamp();
    insertBatch.run({ ...batch, now });
    documents.forEach((doc, position) =>
      insertDocument.run({
        ...doc,
        tenantId: batch.tenantId,
        batchId: batch.id,
        position,
        status: doc.duplicateOf ? 'skipped' : 'queued',
        now,
      }),
    );
  });
  const updateDocument = db.prepare(
    `UPDATE documents SET status = @status, chunks = @chunks, error_code = @errorCode, error_message = @errorMessage,
       attempt = @attempt, started_at = @startedAt, finished_at = @finishedAt, updated_at = @now
     WHERE id = @documentId AND tenant_id = @tenantId`,
  );
  const updateDocumentsTx = db.transaction((tenantId: string, updates: DocumentUpdate[]) => {
    const now = stamp();
    for (const u of updates) updateDocument.run({ ...u, tenantId, now });
  });

  const startRetryTx = db.transaction((tenantId: string, batchId: string, documentIds: string[] | 'all', workflowIdForRun: (run: number) => string) => {
    const batch = db.prepare('SELECT * FROM batches WHERE id = ? AND tenant_id = ?').get(batchId, tenantId) as Row | undefined;
    if (!batch || batch.status === 'running') return null;
    const run = (batch.current_run as number) + 1;
    const candidates = (
      db.prepare("SELECT id FROM documents WHERE tenant_id = ? AND batch_id = ? AND status IN ('failed', 'cancelled') ORDER BY position").all(tenantId, batchId) as Row[]
    ).map((r) => r.id as string);
    const wanted = documentIds === 'all' ? candidates : candidates.filter((id) => documentIds.includes(id));
    if (wanted.length === 0) return { run, documentIds: [] };
    const now = stamp();
    // A retried document is built at its newest version, which is then the active one (as on upload).
    const requeue = db.prepare(
      "UPDATE documents SET run = ?, status = 'queued', error_code = NULL, error_message = NULL, attempt = 0, started_at = NULL, finished_at = NULL, chunks = 0, active_version = version, pending_version = NULL, " +
        'reindex_failure_code = NULL, reindex_failure_message = NULL, reindex_failure_version = NULL, reindex_failure_at = NULL, updated_at = ? WHERE id = ? AND tenant_id = ?',
    );
    for (const id of wanted) requeue.run(run, now, id, tenantId);
    db.prepare("UPDATE batches SET current_run = ?, status = 'running', workflow_id = ?, finished_at = NULL, final_seq = NULL WHERE id = ? AND tenant_id = ?").run(
      run,
      workflowIdForRun(run),
      batchId,
      tenantId,
    );
    return { run, documentIds: wanted };
  });
  const startReindexTx = db.transaction((tenantId: string, batchId: string, documentIds: string[] | 'all', workflowIdForRun: (run: number) => string) => {
    const batch = db.prepare('SELECT * FROM batches WHERE id = ? AND tenant_id = ?').get(batchId, tenantId) as Row | undefined;
    if (!batch || batch.status === 'running') return null;
    const run = (batch.current_run as number) + 1;
    const candidates = (
      db
        .prepare("SELECT id FROM documents WHERE tenant_id = ? AND batch_id = ? AND status = 'indexed' AND duplicate_of IS NULL AND pending_version IS NULL ORDER BY position")
        .all(tenantId, batchId) as Row[]
    ).map((r) => r.id as string);
    const wanted = documentIds === 'all' ? candidates : candidates.filter((id) => documentIds.includes(id));
    if (wanted.length === 0) return { run, documentIds: [] };
    const now = stamp();
    const next = db.prepare('UPDATE documents SET run = ?, version = version + 1, pending_version = version + 1, updated_at = ? WHERE id = ? AND tenant_id = ?');
    for (const id of wanted) next.run(run, now, id, tenantId);
    db.prepare("UPDATE batches SET current_run = ?, status = 'running', workflow_id = ?, finished_at = NULL, final_seq = NULL WHERE id = ? AND tenant_id = ?").run(
      run,
      workflowIdForRun(run),
      batchId,
      tenantId,
    );
    return { run, documentIds: wanted };
  });
  // SET expressions read the row as it was, so the old active version becomes the pending one.
  const activateVersion = db.prepare(
    `UPDATE documents SET active_version = pending_version, pending_version = active_version, status = 'indexed', chunks = @chunks, error_code = NULL,
       error_message = NULL, reindex_failure_code = NULL, reindex_failure_message = NULL, reindex_failure_version = NULL, reindex_failure_at = NULL, attempt = @attempt, started_at = @startedAt, finished_at = @finishedAt, updated_at = @now
     WHERE id = @documentId AND tenant_id = @tenantId AND pending_version > active_version`,
  );
  const activateVersionsTx = db.transaction((tenantId: string, updates: DocumentUpdate[]) => {
    const now = stamp();
    for (const u of updates) activateVersion.run({ ...u, tenantId, now });
  });
  // `IS NOT` compares with NULL too: a document without a recorded failure gets this one.
  const recordReindexFailure = db.prepare(
    `UPDATE documents SET reindex_failure_code = @code, reindex_failure_message = @message, reindex_failure_version = version, reindex_failure_at = @now, updated_at = @now
     WHERE id = @documentId AND tenant_id = @tenantId AND status = 'indexed' AND version > active_version AND reindex_failure_version IS NOT version`,
  );
  const recordReindexFailuresTx = db.transaction((tenantId: string, failures: ReindexFailure[]) => {
    const now = stamp();
    for (const f of failures) recordReindexFailure.run({ documentId: f.documentId, code: f.code, message: f.message, tenantId, now });
  });
  const settleVersion = db.prepare('UPDATE documents SET pending_version = NULL, updated_at = ? WHERE id = ? AND tenant_id = ? AND pending_version IS NOT NULL');
  const settleVersionsTx = db.transaction((tenantId: string, documentIds: string[]) => {
    const now = stamp();
    for (const id of documentIds) settleVersion.run(now, id, tenantId);
  });
  const deleteDocumentTx = db.transaction((tenantId: string, documentId: string) => {
    const row = db.prepare('SELECT blob_key FROM documents WHERE id = ? AND tenant_id = ?').get(documentId, tenantId) as Row | undefined;
    if (!row) return null;
    db.prepare('DELETE FROM documents WHERE id = ? AND tenant_id = ?').run(documentId, tenantId);
    const others = db.prepare('SELECT COUNT(*) AS n FROM documents WHERE blob_key = ?').get(row.blob_key) as Row;
    return { blobKey: row.blob_key as string, blobStillUsed: (others.n as number) > 0 };
  });

  const insertIndexSpace = db.prepare(
    `INSERT INTO index_spaces (tenant_id, generation, model, dimensions, state, workflow_id, created_at, activated_at)
     VALUES (@tenantId, @generation, @model, @dimensions, @state, @workflowId, @now, @activatedAt)`,
  );
  const beginIndexSpaceTx = db.transaction((tenantId: string, next: { model: string; dimensions: number; workflowId: string }, current: { model: string; dimensions: number }) => {
    const spaces = db.prepare('SELECT generation, state FROM index_spaces WHERE tenant_id = ?').all(tenantId) as Row[];
    if (spaces.some((r) => r.state === 'building' || r.state === 'retiring')) return null;
    const now = stamp();
    if (spaces.length === 0) {
      // Generation 1 served since the tenant was created, unrecorded; it is written down the moment it stops being the only one.
      db.prepare(
        `INSERT INTO index_spaces (tenant_id, generation, model, dimensions, state, workflow_id, created_at, activated_at)
           SELECT id, 1, ?, ?, 'active', NULL, created_at, created_at FROM tenants WHERE id = ?`,
      ).run(current.model, current.dimensions, tenantId);
    }
    const generation = Math.max(1, ...spaces.map((r) => r.generation as number)) + 1;
    insertIndexSpace.run({ tenantId, generation, ...next, state: 'building', now, activatedAt: null });
    return toIndexSpace(db.prepare('SELECT * FROM index_spaces WHERE tenant_id = ? AND generation = ?').get(tenantId, generation) as Row);
  });
  const activateIndexSpaceTx = db.transaction((tenantId: string, generation: number) => {
    const building = db.prepare("SELECT 1 FROM index_spaces WHERE tenant_id = ? AND generation = ? AND state = 'building'").get(tenantId, generation);
    if (!building) return false;
    // The old active one first: the unique index allows one active space per tenant at any moment.
    db.prepare("UPDATE index_spaces SET state = 'retiring' WHERE tenant_id = ? AND state = 'active'").run(tenantId);
    db.prepare("UPDATE index_spaces SET state = 'active', activated_at = ? WHERE tenant_id = ? AND generation = ?").run(stamp(), tenantId, generation);
    return true;
  });

  return {
    async ensureTenant(tenantId) {
      db.prepare('INSERT OR IGNORE INTO tenants (id, created_at) VALUES (?, ?)').run(tenantId, stamp());
      const row = db.prepare('SELECT * FROM tenants WHERE id = ?').get(tenantId) as Row;
      return { id: row.id as string, createdAt: row.created_at as string };
    },
    async getTenant(tenantId) {
      const row = db.prepare('SELECT * FROM tenants WHERE id = ?').get(tenantId) as Row | undefined;
      return row ? ({ id: row.id as string, createdAt: row.created_at as string } satisfies TenantRecord) : null;
    },
    async listTenants() {
      return (db.prepare('SELECT * FROM tenants ORDER BY id').all() as Row[]).map((r) => ({ id: r.id as string, createdAt: r.created_at as string }));
    },
    async addApiKey(tenantId, keyHash, prefix) {
      const id = `key_${keyHash.slice(0, 16)}`;
      db.prepare('INSERT INTO api_keys (id, tenant_id, prefix, key_hash, created_at) VALUES (?, ?, ?, ?, ?)').run(id, tenantId, prefix, keyHash, stamp());
      return toKey(db.prepare('SELECT * FROM api_keys WHERE id = ?').get(id) as Row);
    },
    async findTenantByKeyHash(keyHash) {
      const row = db.prepare('SELECT tenant_id FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL').get(keyHash) as Row | undefined;
      return row ? (row.tenant_id as string) : null;
    },
    async listApiKeys(tenantId) {
      const rows = tenantId
        ? db.prepare('SELECT * FROM api_keys WHERE tenant_id = ? ORDER BY created_at').all(tenantId)
        : db.prepare('SELECT * FROM api_keys ORDER BY tenant_id, created_at').all();
      return (rows as Row[]).map(toKey);
    },
    async revokeApiKeys(prefix) {
      return db.prepare('UPDATE api_keys SET revoked_at = ? WHERE prefix = ? AND revoked_at IS NULL').run(stamp(), prefix).changes;
    },
    async createBatch(batch, documents) {
      createBatchTx(batch, documents);
    },
    async getBatch(tenantId, batchId) {
      const row = db.prepare('SELECT * FROM batches WHERE id = ? AND tenant_id = ?').get(batchId, tenantId) as Row | undefined;
      return row ? toBatch(row) : null;
    },
    async findBatchByIdempotencyKey(tenantId, key) {
      const row = db.prepare('SELECT * FROM batches WHERE tenant_id = ? AND idempotency_key = ?').get(tenantId, key) as Row | undefined;
      return row ? toBatch(row) : null;
    },
    async listBatches(tenantId, { limit, offset, status }) {
      const rows = status
        ? db.prepare('SELECT * FROM batches WHERE tenant_id = ? AND status = ? ORDER BY created_at DESC, id LIMIT ? OFFSET ?').all(tenantId, status, limit, offset)
        : db.prepare('SELECT * FROM batches WHERE tenant_id = ? ORDER BY created_at DESC, id LIMIT ? OFFSET ?').all(tenantId, limit, offset);
      return (rows as Row[]).map(toBatch);
    },
    async setBatchStatus(tenantId, batchId, status, finalSeq) {
      const finishedAt = status === 'running' ? null : stamp();
      db.prepare('UPDATE batches SET status = ?, finished_at = ?, final_seq = ? WHERE id = ? AND tenant_id = ?').run(status, finishedAt, finalSeq ?? null, batchId, tenantId);
    },
    async getDocument(tenantId, documentId) {
      const row = db.prepare('SELECT * FROM documents WHERE id = ? AND tenant_id = ?').get(documentId, tenantId) as Row | undefined;
      return row ? toDocument(row) : null;
    },
    async listBatchDocuments(tenantId, batchId, offset, limit, run) {
      const rows = (
        run === undefined
          ? db.prepare('SELECT * FROM documents WHERE tenant_id = ? AND batch_id = ? ORDER BY position LIMIT ? OFFSET ?').all(tenantId, batchId, limit, offset)
          : db.prepare('SELECT * FROM documents WHERE tenant_id = ? AND batch_id = ? AND run = ? ORDER BY position LIMIT ? OFFSET ?').all(tenantId, batchId, run, limit, offset)
      ) as Row[];
      return rows.map(toDocument);
    },
    async listDocumentsAfter(tenantId, afterId, limit) {
      const rows = db
        .prepare('SELECT * FROM documents WHERE tenant_id = @tenantId AND id > @afterId ORDER BY id LIMIT @limit')
        .all({ tenantId, afterId: afterId ?? '', limit }) as Row[];
      return rows.map(toDocument);
    },
    async listDocuments(tenantId, { limit, offset, status, batchId }) {
      const where = ['tenant_id = @tenantId'];
      if (status) where.push('status = @status');
      if (batchId) where.push('batch_id = @batchId');
      const rows = db
        .prepare(`SELECT * FROM documents WHERE ${where.join(' AND ')} ORDER BY created_at DESC, batch_id, position LIMIT @limit OFFSET @offset`)
        .all({ tenantId, status, batchId, limit, offset }) as Row[];
      return rows.map(toDocument);
    },
    async startRetry(tenantId, batchId, documentIds, workflowIdForRun) {
      return startRetryTx(tenantId, batchId, documentIds, workflowIdForRun);
    },
    async startReindex(tenantId, batchId, documentIds, workflowIdForRun) {
      return startReindexTx(tenantId, batchId, documentIds, workflowIdForRun);
    },
    async activateVersions(tenantId, updates) {
      activateVersionsTx(tenantId, updates);
    },
    async recordReindexFailures(tenantId, failures) {
      recordReindexFailuresTx(tenantId, failures);
    },
    async settleVersions(tenantId, documentIds) {
      settleVersionsTx(tenantId, documentIds);
    },
    async listPendingVersions(tenantId) {
      const rows = db.prepare('SELECT id, active_version FROM documents WHERE tenant_id = ? AND pending_version IS NOT NULL ORDER BY id').all(tenantId) as Row[];
      return rows.map((r) => ({ documentId: r.id as string, activeVersion: r.active_version as number }));
    },
    async cancelOpenDocuments(tenantId, batchId, run, message) {
      return db
        .prepare(
          "UPDATE documents SET status = 'cancelled', error_code = 'cancelled', error_message = ?, updated_at = ? WHERE tenant_id = ? AND batch_id = ? AND run = ? AND status IN ('queued', 'parsing', 'chunking', 'embedding')",
        )
        .run(message, stamp(), tenantId, batchId, run).changes;
    },
    async deleteDocument(tenantId, documentId) {
      return deleteDocumentTx(tenantId, documentId);
    },
    async findIndexedByHash(tenantId, contentHash) {
      const row = db.prepare("SELECT * FROM documents WHERE tenant_id = ? AND content_hash = ? AND status = 'indexed' ORDER BY created_at LIMIT 1").get(tenantId, contentHash) as
        Row | undefined;
      return row ? toDocument(row) : null;
    },
    async updateDocuments(tenantId, updates) {
      updateDocumentsTx(tenantId, updates);
    },
    async listIndexSpaces(tenantId) {
      return (db.prepare('SELECT * FROM index_spaces WHERE tenant_id = ? ORDER BY generation').all(tenantId) as Row[]).map(toIndexSpace);
    },
    async beginIndexSpace(tenantId, next, current) {
      const args = parseIndexSpaceArgs(next, current);
      // Immediate: the write lock is taken before the read, so two processes cannot both see "no switch" and both open one.
      return beginIndexSpaceTx.immediate(tenantId, args.next, args.current);
    },
    async activateIndexSpace(tenantId, generation) {
      assertGeneration(generation);
      return activateIndexSpaceTx.immediate(tenantId, generation);
    },
    async closeIndexSpace(tenantId, generation) {
      assertGeneration(generation);
      db.prepare(
        "UPDATE index_spaces SET state = CASE state WHEN 'retiring' THEN 'retired' ELSE 'abandoned' END WHERE tenant_id = ? AND generation = ? AND state IN ('retiring', 'building')",
      ).run(tenantId, generation);
    },
    async health() {
      try {
        db.prepare('SELECT 1').get();
        return { ok: true, detail: 'sqlite' };
      } catch (err) {
        return { ok: false, detail: (err as Error).message };
      }
    },
    async close() {
      db.close();
    },
  };
}
