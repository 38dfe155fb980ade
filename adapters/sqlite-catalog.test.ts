import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
});
