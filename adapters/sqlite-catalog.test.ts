import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { contractDocument, describeCatalogContract } from './catalog.contract.js';
import { createSqliteCatalog } from './sqlite-catalog.js';

// A file per test, not ':memory:', so several handles can share one store like processes do.
describeCatalogContract('SQLite', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'docflow-catalog-'));
  const file = path.join(dir, 'catalog.sqlite');
  return {
    async open(now) {
      return createSqliteCatalog(file, now);
    },
    async dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SQLite catalog', () => {
  it('keeps each in-memory catalog to itself', async () => {
    const one = createSqliteCatalog(':memory:');
    const two = createSqliteCatalog(':memory:');
    await one.ensureTenant('a');
    await one.createBatch({ id: 'b1', tenantId: 'a', workflowId: 'w', documentCount: 1, idempotencyKey: null }, [contractDocument('d1')]);
    expect(await two.getTenant('a')).toBeNull();
    expect(await two.getDocument('a', 'd1')).toBeNull();
    await Promise.all([one.close(), two.close()]);
  });

  it('brings a file made before document versions up to date: active = the indexed version, nothing pending', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'docflow-catalog-'));
    const file = path.join(dir, 'catalog.sqlite');
    try {
      const first = createSqliteCatalog(file);
      await first.ensureTenant('a');
      await first.createBatch({ id: 'b1', tenantId: 'a', workflowId: 'w', documentCount: 1, idempotencyKey: null }, [contractDocument('d1')]);
      await first.close();
      // The file as the release before versions left it: no version or re-index failure columns, a document at version 3.
      const raw = new Database(file);
      raw.exec('DROP INDEX documents_pending; ALTER TABLE documents DROP COLUMN pending_version; ALTER TABLE documents DROP COLUMN active_version;');
      for (const column of ['code', 'message', 'version', 'at']) raw.exec(`ALTER TABLE documents DROP COLUMN reindex_failure_${column};`);
      raw.prepare("UPDATE documents SET version = 3, status = 'indexed'").run();
      raw.close();
      const upgraded = createSqliteCatalog(file);
      expect(await upgraded.getDocument('a', 'd1')).toMatchObject({ version: 3, activeVersion: 3, pendingVersion: null, lastReindexFailure: null });
      expect(await upgraded.listPendingVersions('a')).toEqual([]);
      await upgraded.close();
      // Opening it again changes nothing.
      const again = createSqliteCatalog(file);
      expect(await again.getDocument('a', 'd1')).toMatchObject({ version: 3, activeVersion: 3, pendingVersion: null });
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives a file made before index spaces the table, empty: every tenant on generation 1', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'docflow-catalog-'));
    const file = path.join(dir, 'catalog.sqlite');
    try {
      const first = createSqliteCatalog(file);
      await first.ensureTenant('a');
      await first.close();
      const raw = new Database(file);
      raw.exec('DROP TABLE index_spaces;');
      raw.close();
      const upgraded = createSqliteCatalog(file);
      expect(await upgraded.listIndexSpaces('a')).toEqual([]);
      expect(await upgraded.beginIndexSpace('a', { model: 'm2', dimensions: 4, workflowId: 'w' }, { model: 'm1', dimensions: 2 })).toMatchObject({ generation: 2 });
      await upgraded.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
