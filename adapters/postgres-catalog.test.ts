/**
 * The PostgreSQL catalog against a real server: the shared catalog contract, the migration
 * scheme, and secrets staying out of errors. Needs TEST_DATABASE_URL (a role that may create
 * databases; every test works in its own scratch database). Without it the server tests are
 * skipped, or fail when CI is set.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createScratchDatabase, describeWithPostgres, postgresTestTarget, type ScratchDatabase } from '../scripts/services/postgres-scratch.js';
import type { Catalog } from './catalog.js';
import { describeCatalogContract } from './catalog.contract.js';
import { describeTarget, openPostgresCatalog, parseDatabaseUrl, redactConnectionString } from './postgres-catalog.js';
import { CATALOG_MIGRATIONS, MIGRATIONS_TABLE, checkMigrationList, migrateCatalog, type Migration } from './postgres-migrations.js';

describe('PostgreSQL catalog configuration (no server needed)', () => {
  it('decides between running, skipping and failing from the environment', () => {
    expect(postgresTestTarget({ TEST_DATABASE_URL: 'postgres://u:p@h/db' })).toEqual({ mode: 'run', adminUrl: 'postgres://u:p@h/db' });
    expect(postgresTestTarget({}).mode).toBe('skip');
    expect(postgresTestTarget({ CI: 'false' }).mode).toBe('skip');
    expect(postgresTestTarget({ CI: 'true' }).mode).toBe('fail');
    expect(postgresTestTarget({ CI: '1', TEST_DATABASE_URL: ' ' }).mode).toBe('fail');
  });

  it('checks the URL without echoing it', () => {
    const secret = 'postgres://user:s3cr3t-pw@db.internal:6543/docflow';
    expect(parseDatabaseUrl(secret).hostname).toBe('db.internal');
    expect(() => parseDatabaseUrl('postgres://user:s3cr3t-pw@[db/docflow')).toThrow(/^DATABASE_URL is not a valid URL/);
    expect(() => parseDatabaseUrl('postgres://user:s3cr3t-pw@[db/docflow')).not.toThrow(/s3cr3t/);
    expect(() => parseDatabaseUrl('mysql://user:s3cr3t-pw@db/docflow')).toThrow('must start with postgres:// or postgresql://');
    expect(() => parseDatabaseUrl('mysql://user:s3cr3t-pw@db/docflow')).not.toThrow(/s3cr3t/);
    expect(redactConnectionString(secret)).toBe('postgres://user:***@db.internal:6543/docflow');
    expect(redactConnectionString('not a url s3cr3t')).not.toContain('s3cr3t');
    expect(describeTarget(secret)).toBe('user@db.internal:6543/docflow');
  });

  it('refuses a pool size that is not a positive integer before connecting', async () => {
    await expect(openPostgresCatalog({ connectionString: 'postgres://u:p@127.0.0.1:1/x', poolSize: 0 })).rejects.toThrow('pool size must be a positive integer');
  });

  it('requires migrations numbered 1..n', () => {
    expect(() => checkMigrationList(CATALOG_MIGRATIONS)).not.toThrow();
    expect(() => checkMigrationList([{ version: 2, name: 'x', sql: '' }])).toThrow('versions must be 1..n');
  });

  it('fails to open an unreachable server with the password cut out of the error', async () => {
    // Nothing listens on port 1; the error names the target but never the password.
    const attempt = openPostgresCatalog({ connectionString: 'postgres://docflow:pa55-w0rd-xyz@127.0.0.1:1/docflow', connectTimeoutMs: 2_000 });
    await expect(attempt).rejects.toThrow(/PostgreSQL catalog \(docflow@127\.0\.0\.1:1\/docflow\)/);
    await expect(attempt).rejects.not.toThrow(/pa55-w0rd-xyz/);
  });
});

/** A fresh scratch database per store, dropped after the test. */
const scratchStores = (adminUrl: string) => async () => {
  const db = await createScratchDatabase(adminUrl);
  return {
    open: (now?: () => Date) => openPostgresCatalog({ connectionString: db.url, now, poolSize: 4 }),
    dispose: () => db.drop(),
  };
};

describeWithPostgres('PostgreSQL catalog', (adminUrl) => {
  describeCatalogContract('PostgreSQL', scratchStores(adminUrl));

  describe('migrations and connections', () => {
    let db: ScratchDatabase | undefined;
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
      await db?.drop();
      db = undefined;
    });
    const scratch = async () => {
      db = await createScratchDatabase(adminUrl);
      return db;
    };
    const admin = async (url: string) => {
      const pool = new pg.Pool({ connectionString: url, max: 8 });
      cleanups.push(() => pool.end());
      return pool;
    };
    const track = (catalog: Catalog) => {
      cleanups.push(() => catalog.close());
      return catalog;
    };

    it('applies every migration once, records it, and is a no-op on the next open', async () => {
      const { url } = await scratch();
      const pool = await admin(url);
      expect(await migrateCatalog(pool)).toEqual({ applied: CATALOG_MIGRATIONS.map((m) => m.version), version: CATALOG_MIGRATIONS.length });
      expect(await migrateCatalog(pool)).toEqual({ applied: [], version: CATALOG_MIGRATIONS.length });
      const { rows } = await pool.query(`SELECT version, name FROM ${MIGRATIONS_TABLE} ORDER BY version`);
      expect(rows).toEqual(CATALOG_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
      const tables = await pool.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
      expect(tables.rows.map((r) => r.tablename)).toEqual(['api_keys', 'batches', MIGRATIONS_TABLE, 'documents', 'index_spaces', 'tenants']);
    });

    it('migrates exactly once when many processes start at the same moment', async () => {
      const { url } = await scratch();
      const pools = await Promise.all(Array.from({ length: 8 }, () => admin(url)));
      // A slow second migration widens the window in which unsynchronised starters would collide.
      const slow: Migration[] = [...CATALOG_MIGRATIONS, { version: CATALOG_MIGRATIONS.length + 1, name: 'slow', sql: 'SELECT pg_sleep(0.3); CREATE TABLE slow_marker (id int)' }];
      const results = await Promise.all(pools.map((p) => migrateCatalog(p, slow)));
      const appliers = results.filter((r) => r.applied.length > 0);
      expect(appliers).toHaveLength(1);
      expect(appliers[0].applied).toEqual(slow.map((m) => m.version));
      const { rows } = await pools[0].query(`SELECT count(*)::int AS n FROM ${MIGRATIONS_TABLE}`);
      expect(rows[0].n).toBe(slow.length);
    });

    it('rolls a failing migration back completely and applies it once fixed', async () => {
      const { url } = await scratch();
      const pool = await admin(url);
      const next = CATALOG_MIGRATIONS.length + 1;
      const broken: Migration[] = [...CATALOG_MIGRATIONS, { version: next, name: 'broken', sql: 'CREATE TABLE half_done (id int); SELECT no_such_function()' }];
      await expect(migrateCatalog(pool, broken)).rejects.toThrow(/no_such_function/);
      // Nothing of the failed call stayed, not even the earlier migrations of the same call.
      const left = await pool.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
      expect(left.rows).toEqual([]);
      const fixed: Migration[] = [...CATALOG_MIGRATIONS, { version: next, name: 'fixed', sql: 'CREATE TABLE half_done (id int)' }];
      expect((await migrateCatalog(pool, fixed)).applied).toEqual(fixed.map((m) => m.version));
    });

    it('gives documents recorded before versions their indexed version as the active one', async () => {
      const { url } = await scratch();
      const pool = await admin(url);
      await migrateCatalog(pool, CATALOG_MIGRATIONS.slice(0, 1));
      await pool.query("INSERT INTO tenants (id, created_at) VALUES ('a', now())");
      await pool.query("INSERT INTO batches (id, tenant_id, workflow_id, status, document_count, created_at) VALUES ('b1', 'a', 'w', 'completed', 2, now())");
      await pool.query(
        `INSERT INTO documents (id, tenant_id, batch_id, position, filename, format, content_hash, size, blob_key, status, version, created_at, updated_at)
         VALUES ('d1', 'a', 'b1', 0, 'd1.txt', 'txt', 'h1', 1, 'k1', 'indexed', 1, now(), now()), ('d2', 'a', 'b1', 1, 'd2.txt', 'txt', 'h2', 1, 'k2', 'indexed', 4, now(), now())`,
      );
      expect((await migrateCatalog(pool)).applied).toEqual(CATALOG_MIGRATIONS.slice(1).map((m) => m.version));
      const catalog = await openPostgresCatalog({ connectionString: url });
      try {
        expect(await catalog.getDocument('a', 'd1')).toMatchObject({ version: 1, activeVersion: 1, pendingVersion: null });
        expect(await catalog.getDocument('a', 'd2')).toMatchObject({ version: 4, activeVersion: 4, pendingVersion: null, lastReindexFailure: null });
        expect(await catalog.listPendingVersions('a')).toEqual([]);
      } finally {
        await catalog.close();
      }
    });

    it('refuses a database migrated by a newer build', async () => {
      const { url } = await scratch();
      const pool = await admin(url);
      const newer: Migration[] = [...CATALOG_MIGRATIONS, { version: CATALOG_MIGRATIONS.length + 1, name: 'future', sql: 'CREATE TABLE future (id int)' }];
      await migrateCatalog(pool, newer);
      await expect(openPostgresCatalog({ connectionString: url })).rejects.toThrow(
        `schema version ${CATALOG_MIGRATIONS.length + 1}, newer than this build knows (${CATALOG_MIGRATIONS.length})`,
      );
    });

    it('keeps the password out of errors and health details', async () => {
      const { url } = await scratch();
      const wrong = new URL(url);
      wrong.password = 'definitely-Wrong-pw';
      const attempt = openPostgresCatalog({ connectionString: wrong.toString() });
      await expect(attempt).rejects.toThrow(/password authentication failed/);
      await expect(attempt).rejects.not.toThrow(/definitely-Wrong-pw/);

      const catalog = track(await openPostgresCatalog({ connectionString: url, healthTimeoutMs: 1_000 }));
      expect(await catalog.health()).toEqual({ ok: true, detail: 'postgresql' });
      // Kill the catalog's connections: the pool must survive (no crash) and recover.
      const pool = await admin(adminUrl);
      await pool.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [new URL(url).pathname.slice(1)]);
      await new Promise((r) => setTimeout(r, 200));
      expect((await catalog.health()).ok).toBe(true);
    });

    it('reports a server that stops answering as unhealthy within the timeout', async () => {
      const { url } = await scratch();
      const catalog = track(await openPostgresCatalog({ connectionString: url, poolSize: 1, healthTimeoutMs: 300 }));
      // Another session locks a table; a catalog query then holds the pool's only connection.
      const pool = await admin(url);
      const locker = await pool.connect();
      cleanups.push(async () => locker.release());
      await locker.query('BEGIN; LOCK TABLE tenants IN ACCESS EXCLUSIVE MODE');
      const blocked = catalog.getTenant('x'); // takes the pool's only connection and waits on the lock
      const started = Date.now();
      const health = await catalog.health();
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(health.ok).toBe(false);
      expect(health.detail).toMatch(/within 300 ms/);
      await locker.query('ROLLBACK');
      expect(await blocked).toBeNull();
    });
  });
});
