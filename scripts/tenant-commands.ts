/**
 * The tenant administration commands behind `npm run tenant`, free of process and file
 * concerns so tests drive them with an in-memory catalog and capture what they print.
 * Keys are shown exactly once, at creation; listings show prefixes and dates, never hashes.
 */
import type { ApiKeyRecord, Catalog } from '../adapters/catalog.js';
import { generateApiKey } from '../api/keys.js';
import { assertTenantId } from '../core/ids.js';

/** Where a command writes: normal lines to `out`, problems to `err`. */
export interface CommandOutput {
  out(line: string): void;
  err(line: string): void;
}

/** Exit codes, so scripts calling the CLI can tell a usage mistake from a failed command. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Shown for no command, `help`, or a malformed command line. */
export const USAGE = [
  'usage: npm run tenant -- <command>',
  '  create <tenantId>    create the tenant if needed and a new API key (printed last, shown once)',
  '  list                 tenants with their keys: prefix, created, revoked',
  '  revoke <keyPrefix>   revoke every active key with this prefix (ends its browser sessions too)',
].join('\n');

/** Key prefixes as `generateApiKey` makes them; anything else cannot match a key. */
const KEY_PREFIX_PATTERN = /^dfk_[A-Za-z0-9_-]{8}$/;

/** Runs one command line (without the program name) and returns the exit code. */
export async function runTenantCommand(args: readonly string[], catalog: Catalog, output: CommandOutput): Promise<number> {
  const [command, ...rest] = args;
  const usage = () => {
    output.err(USAGE);
    return EXIT.usage;
  };
  switch (command) {
    case 'create':
      return rest.length === 1 ? createTenantKey(rest[0], catalog, output) : usage();
    case 'list':
      return rest.length === 0 ? listTenants(catalog, output) : usage();
    case 'revoke':
      return rest.length === 1 ? revokeKey(rest[0], catalog, output) : usage();
    case 'help':
    case '--help':
    case '-h':
      output.out(USAGE);
      return EXIT.ok;
    default:
      return usage();
  }
}

async function createTenantKey(tenantId: string, catalog: Catalog, output: CommandOutput): Promise<number> {
  try {
    assertTenantId(tenantId);
  } catch (err) {
    output.err((err as Error).message);
    return EXIT.usage;
  }
  const existed = (await catalog.getTenant(tenantId)) !== null;
  await catalog.ensureTenant(tenantId);
  const { key, hash, prefix } = generateApiKey();
  await catalog.addApiKey(tenantId, hash, prefix);
  output.out(existed ? `tenant ${tenantId} already existed` : `created tenant ${tenantId}`);
  output.out(`new API key ${prefix}… (shown once, store it now; revoke with: npm run tenant -- revoke ${prefix})`);
  // Last line on its own, so `npm run tenant -- create x | tail -n 1` yields just the key.
  output.out(key);
  return EXIT.ok;
}

const day = (stamp: string | null) => (stamp ? stamp.replace('T', ' ').slice(0, 19) : '-');

async function listTenants(catalog: Catalog, output: CommandOutput): Promise<number> {
  const tenants = await catalog.listTenants();
  if (tenants.length === 0) {
    output.out('no tenants yet; create one with: npm run tenant -- create <tenantId>');
    return EXIT.ok;
  }
  const byTenant = new Map<string, ApiKeyRecord[]>(tenants.map((t) => [t.id, []]));
  for (const key of await catalog.listApiKeys()) byTenant.get(key.tenantId)?.push(key);
  const rows = [['TENANT', 'KEY PREFIX', 'CREATED', 'REVOKED']];
  for (const [tenantId, tenantKeys] of byTenant) {
    if (tenantKeys.length === 0) rows.push([tenantId, '(no keys)', '-', '-']);
    for (const key of tenantKeys) rows.push([tenantId, key.prefix, day(key.createdAt), day(key.revokedAt)]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const row of rows)
    output.out(
      row
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    );
  return EXIT.ok;
}

async function revokeKey(prefix: string, catalog: Catalog, output: CommandOutput): Promise<number> {
  const wanted = prefix.replace(/…$/, '');
  if (!KEY_PREFIX_PATTERN.test(wanted)) {
    output.err(`"${prefix}" is not a key prefix; prefixes look like dfk_AbCd1234 (see: npm run tenant -- list)`);
    return EXIT.usage;
  }
  const revoked = await catalog.revokeApiKeys(wanted);
  if (revoked === 0) {
    output.err(`no active key has the prefix ${wanted}`);
    return EXIT.failed;
  }
  output.out(`revoked ${revoked} key${revoked === 1 ? '' : 's'} with prefix ${wanted}; their browser sessions end with them`);
  return EXIT.ok;
}
