/**
 * The one place that picks the catalog from configuration, used by every process (`npm start`,
 * the API, both worker pools, `npm run tenant`) so they can never disagree: PostgreSQL when
 * DATABASE_URL is set, otherwise SQLite in DATA_DIR.
 */
import path from 'node:path';
import type { Catalog } from '../adapters/catalog.js';
import { openPostgresCatalog, type PostgresCatalogOptions } from '../adapters/postgres-catalog.js';
import { createSqliteCatalog } from '../adapters/sqlite-catalog.js';
import type { AppConfig } from './config.js';

export interface CatalogFactories {
  sqlite: (file: string) => Catalog;
  postgres: (options: PostgresCatalogOptions) => Promise<Catalog>;
}

const REAL_FACTORIES: CatalogFactories = { sqlite: (file) => createSqliteCatalog(file), postgres: openPostgresCatalog };

/** Which catalog `config` selects, for start-up messages; never includes the password. */
export function catalogKind(config: Pick<AppConfig, 'databaseUrl'>): 'postgresql' | 'sqlite' {
  return config.databaseUrl ? 'postgresql' : 'sqlite';
}

/** Opens (and migrates) the configured catalog. */
export async function openCatalog(config: Pick<AppConfig, 'dataDir' | 'databaseUrl' | 'databasePoolSize'>, factories: CatalogFactories = REAL_FACTORIES): Promise<Catalog> {
  if (config.databaseUrl) {
    return factories.postgres({ connectionString: config.databaseUrl, poolSize: config.databasePoolSize });
  }
  return factories.sqlite(path.join(config.dataDir, 'catalog.sqlite'));
}
