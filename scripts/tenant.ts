/**
 * `npm run tenant -- create <tenantId> | list | revoke <keyPrefix>`: tenant and API-key
 * administration against the catalog in DATA_DIR. The commands live in tenant-commands.ts.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createSqliteCatalog } from '../activities/adapters/sqlite-catalog.js';
import { loadConfig } from '../runtime/config.js';
import { runTenantCommand } from './tenant-commands.js';

async function main(): Promise<number> {
  const config = loadConfig();
  if (config.databaseUrl) throw new Error('DATABASE_URL (PostgreSQL catalog) is not supported yet; unset it to use the SQLite catalog in DATA_DIR');
  mkdirSync(config.dataDir, { recursive: true });
  const catalog = createSqliteCatalog(path.join(config.dataDir, 'catalog.sqlite'));
  try {
    return await runTenantCommand(process.argv.slice(2), catalog, {
      out: (line) => console.log(line),
      err: (line) => console.error(line),
    });
  } finally {
    await catalog.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  },
);
