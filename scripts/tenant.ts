/**
 * `npm run tenant -- create <tenantId> | list | revoke <keyPrefix>`: tenant and API-key
 * administration against the configured catalog (PostgreSQL with DATABASE_URL, else SQLite in
 * DATA_DIR). The commands live in tenant-commands.ts.
 */
import { mkdirSync } from 'node:fs';
import { loadConfig } from '../runtime/config.js';
import { openCatalog } from '../runtime/open-catalog.js';
import { runTenantCommand } from './tenant-commands.js';

async function main(): Promise<number> {
  const config = loadConfig();
  mkdirSync(config.dataDir, { recursive: true });
  const catalog = await openCatalog(config);
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
