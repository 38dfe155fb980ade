/**
 * Throwaway PostgreSQL databases for tests (imported by test files only). TEST_DATABASE_URL names a role that may create
 * databases (`.ci/run` creates one); each caller gets a database with a random name, dropped
 * again afterwards, so test runs never see each other's rows or a developer's own data.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, it } from 'vitest';
import { redactConnectionString } from '../../adapters/postgres-catalog.js';

/** What a PostgreSQL test should do, decided from the environment. */
export type PostgresTestTarget = { mode: 'run'; adminUrl: string } | { mode: 'skip'; reason: string } | { mode: 'fail'; reason: string };

const HOW_TO = 'set TEST_DATABASE_URL to a PostgreSQL role allowed to create databases, e.g. postgres://docflow_test:secret@127.0.0.1:5432/postgres';

/**
 * Runs with TEST_DATABASE_URL; skips without it on a developer machine; fails without it under
 * CI, so a CI machine that lost its PostgreSQL can never turn the suite silently green.
 */
export function postgresTestTarget(env: NodeJS.ProcessEnv = process.env): PostgresTestTarget {
  const adminUrl = env.TEST_DATABASE_URL?.trim();
  if (adminUrl) return { mode: 'run', adminUrl };
  const ci = env.CI !== undefined && !['', '0', 'false'].includes(env.CI.trim().toLowerCase());
  return ci
    ? { mode: 'fail', reason: `CI is set but TEST_DATABASE_URL is not: the PostgreSQL tests must run in CI; ${HOW_TO}` }
    : { mode: 'skip', reason: `PostgreSQL tests skipped: ${HOW_TO}` };
}

/**
 * `describe` for tests that need PostgreSQL: runs `body` with the admin URL, skips it with the
 * reason in its title, or (under CI) replaces it with one test that fails with the reason.
 */
export function describeWithPostgres(name: string, body: (adminUrl: string) => void): void {
  const target = postgresTestTarget();
  if (target.mode === 'run') describe(name, () => body(target.adminUrl));
  else if (target.mode === 'skip') {
    console.warn(`${name}: ${target.reason}`);
    describe.skip(`${name} [${target.reason}]`, () => body(''));
  } else
    describe(name, () => {
      it('has a PostgreSQL server to test against', () => {
        throw new Error(target.reason);
      });
    });
}

export interface ScratchDatabase {
  name: string;
  /** The admin URL pointed at the scratch database (same role and password). */
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database `<prefix>_<random hex>` and returns how to reach and drop it. */
export async function createScratchDatabase(adminUrl: string, prefix = 'docflow_test'): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  // Identifiers cannot be query parameters; this one is built from a fixed alphabet only.
  if (!/^[a-z][a-z0-9_]{0,62}$/.test(name)) throw new Error(`unsafe scratch database name ${JSON.stringify(name)}`);
  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    name,
    url: url.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      // FORCE ends sessions a failed test left open (PostgreSQL 13+). An autovacuum worker that
      // happens to be in the new database cannot be ended by the test role (42501): it is done in
      // moments, so the drop is tried again.
      for (let attempt = 1; ; attempt++) {
        try {
          await withAdmin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
          return;
        } catch (err) {
          if ((err as { code?: string }).code !== '42501' || attempt === 10) throw err;
          await new Promise((resolve) => setTimeout(resolve, 300));
        }
      }
    },
  };
}

async function withAdmin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`cannot connect to TEST_DATABASE_URL (${redactConnectionString(adminUrl)}): ${(err as Error).message}`);
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
