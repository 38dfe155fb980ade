import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Catalog } from '../adapters/catalog.js';
import type { PostgresCatalogOptions } from '../adapters/postgres-catalog.js';
import { createSqliteCatalog } from '../adapters/sqlite-catalog.js';
import { createScratchDatabase, describeWithPostgres } from '../scripts/services/postgres-scratch.js';
import { loadConfig } from './config.js';
import { catalogKind, openCatalog } from './open-catalog.js';

const dirs: string[] = [];
const catalogs: Catalog[] = [];
afterEach(async () => {
  for (const c of catalogs.splice(0)) await c.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'docflow-open-catalog-'));
  dirs.push(dir);
  return dir;
};

describe('openCatalog', () => {
  it('opens SQLite in DATA_DIR when DATABASE_URL is unset', async () => {
    const dataDir = tempDir();
    const config = loadConfig({ DATA_DIR: dataDir });
    expect(catalogKind(config)).toBe('sqlite');
    const catalog = await openCatalog(config);
    catalogs.push(catalog);
    expect((await catalog.health()).detail).toBe('sqlite');
    expect(existsSync(path.join(dataDir, 'catalog.sqlite'))).toBe(true);
  });

  it('hands DATABASE_URL and DATABASE_POOL_SIZE to the PostgreSQL catalog, and never opens SQLite then', async () => {
    const dataDir = tempDir();
    const config = loadConfig({ DATA_DIR: dataDir, DATABASE_URL: 'postgres://docflow:pw@db:5432/docflow', DATABASE_POOL_SIZE: '3' });
    expect(catalogKind(config)).toBe('postgresql');
    const seen: PostgresCatalogOptions[] = [];
    const standIn = createSqliteCatalog(':memory:');
    catalogs.push(standIn);
    const catalog = await openCatalog(config, {
      sqlite: () => {
        throw new Error('SQLite must not be opened when DATABASE_URL is set');
      },
      postgres: async (options) => {
        seen.push(options);
        return standIn;
      },
    });
    expect(catalog).toBe(standIn);
    expect(seen).toEqual([{ connectionString: 'postgres://docflow:pw@db:5432/docflow', poolSize: 3 }]);
    expect(existsSync(path.join(dataDir, 'catalog.sqlite'))).toBe(false);
  });

  it('defaults the pool to 10 connections and rejects a bad size', () => {
    expect(loadConfig({}).databasePoolSize).toBe(10);
    expect(() => loadConfig({ DATABASE_POOL_SIZE: '0' })).toThrow(/DATABASE_POOL_SIZE/);
  });
});

describeWithPostgres('openCatalog on a real PostgreSQL', (adminUrl) => {
  it('opens a migrated PostgreSQL catalog when DATABASE_URL is set', async () => {
    const db = await createScratchDatabase(adminUrl);
    try {
      const catalog = await openCatalog(loadConfig({ DATA_DIR: tempDir(), DATABASE_URL: db.url, DATABASE_POOL_SIZE: '2' }));
      try {
        expect(await catalog.health()).toEqual({ ok: true, detail: 'postgresql' });
        await catalog.ensureTenant('acme');
        expect((await catalog.listTenants()).map((t) => t.id)).toEqual(['acme']);
      } finally {
        await catalog.close();
      }
    } finally {
      await db.drop();
    }
  });
});
