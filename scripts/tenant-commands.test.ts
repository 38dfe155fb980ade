import { describe, expect, it } from 'vitest';
import { createSqliteCatalog } from '../adapters/sqlite-catalog.js';
import { hashApiKey } from '../api/keys.js';
import { EXIT, runTenantCommand } from './tenant-commands.js';

function harness() {
  const catalog = createSqliteCatalog(':memory:');
  const out: string[] = [];
  const err: string[] = [];
  const run = async (...args: string[]) => {
    out.length = 0;
    err.length = 0;
    return runTenantCommand(args, catalog, { out: (l) => out.push(l), err: (l) => err.push(l) });
  };
  return { catalog, out, err, run };
}

describe('tenant commands', () => {
  it('creates a tenant and a working key, printed last; a second create adds a key', async () => {
    const { catalog, out, run } = harness();
    expect(await run('create', 'acme')).toBe(EXIT.ok);
    const first = out.at(-1)!;
    expect(first).toMatch(/^dfk_[A-Za-z0-9_-]{43}$/);
    expect(out[0]).toBe('created tenant acme');
    expect(await catalog.findTenantByKeyHash(hashApiKey(first))).toBe('acme');

    expect(await run('create', 'acme')).toBe(EXIT.ok);
    expect(out[0]).toBe('tenant acme already existed');
    const second = out.at(-1)!;
    expect(second).not.toBe(first);
    expect(await catalog.findTenantByKeyHash(hashApiKey(second))).toBe('acme');
  });

  it('refuses invalid tenant ids before touching the catalog', async () => {
    const { catalog, err, run } = harness();
    for (const bad of ['Acme', '../x', '', 'a b']) {
      expect(await run('create', bad)).toBe(EXIT.usage);
      expect(err.join('\n')).toMatch(/invalid tenant id/);
    }
    expect(await catalog.listApiKeys()).toEqual([]);
  });

  it('lists prefixes and dates but never keys or hashes', async () => {
    const { catalog, out, run } = harness();
    await run('create', 'beta');
    const betaKey = out.at(-1)!;
    await run('create', 'alpha');
    const alphaKey = out.at(-1)!;
    const [betaRecord] = await catalog.listApiKeys('beta');
    await catalog.revokeApiKeys(betaRecord.prefix);

    expect(await run('list')).toBe(EXIT.ok);
    const text = out.join('\n');
    expect(out[0]).toMatch(/^TENANT\s+KEY PREFIX\s+CREATED\s+REVOKED$/);
    expect(out[1]).toMatch(/^alpha\s+dfk_\S{8}\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+-$/);
    expect(out[2]).toMatch(new RegExp(`^beta\\s+${betaRecord.prefix}\\s+\\S+ \\S+\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d$`));
    for (const secret of [betaKey, alphaKey, hashApiKey(betaKey), hashApiKey(alphaKey)]) expect(text).not.toContain(secret);
  });

  it('revokes by prefix, and says so when nothing matched', async () => {
    const { catalog, out, err, run } = harness();
    await run('create', 'acme');
    const key = out.at(-1)!;
    const prefix = key.slice(0, 12);
    expect(await run('revoke', `${prefix}…`)).toBe(EXIT.ok);
    expect(out[0]).toMatch(/revoked 1 key with prefix/);
    expect(await catalog.findTenantByKeyHash(hashApiKey(key))).toBeNull();
    expect(await run('revoke', prefix)).toBe(EXIT.failed);
    expect(err[0]).toMatch(/no active key/);
    expect(await run('revoke', 'not-a-prefix')).toBe(EXIT.usage);
  });

  it('prints usage for unknown or malformed commands', async () => {
    const { err, run } = harness();
    expect(await run()).toBe(EXIT.usage);
    expect(await run('create')).toBe(EXIT.usage);
    expect(await run('delete', 'x')).toBe(EXIT.usage);
    expect(err.join('\n')).toContain('usage: npm run tenant');
  });
});
