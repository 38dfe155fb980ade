/**
 * The `demo` tenant that a first start creates, so a new user can upload at once. Its key is
 * kept in DATA_DIR/dev-api-key (mode 0600) and reused while the catalog still accepts it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Catalog } from '../adapters/catalog.js';
import { generateApiKey, hashApiKey } from '../api/keys.js';

export const DEV_TENANT = 'demo';

/** Returns the dev key, creating tenant and key on first use. */
export async function ensureDevTenant(catalog: Catalog, dataDir: string): Promise<string> {
  await catalog.ensureTenant(DEV_TENANT);
  const file = path.join(dataDir, 'dev-api-key');
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim();
    if ((await catalog.findTenantByKeyHash(hashApiKey(key))) === DEV_TENANT) return key;
  }
  const { key, hash, prefix } = generateApiKey();
  await catalog.addApiKey(DEV_TENANT, hash, prefix);
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}
