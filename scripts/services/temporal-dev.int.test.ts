/**
 * The dev server `npm start` and the benchmark run keep their state in a SQLite file. It must be
 * in write-ahead-log mode with every commit synced: the rollback journal it defaults to made a
 * workflow start (on the upload's request path) queue behind every running batch's writes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { findFreePorts } from './ports.js';
import { ensurePythonTools } from './python-tools.js';
import { startTemporalDevServer, type TemporalDevServer } from './temporal-dev.js';

describe('the Temporal dev server on a SQLite file', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'docflow-temporal-dev-'));
  let server: TemporalDevServer | undefined;

  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps its state in WAL mode, so commits stay synced but no longer block each other behind a rollback journal', async () => {
    const tools = await ensurePythonTools({ log: () => {} });
    const [port, uiPort] = await findFreePorts(2);
    server = await startTemporalDevServer({
      temporalBin: tools.temporalBin,
      dataDir,
      port,
      uiPort,
      log: () => {},
      readyTimeoutMs: 120_000,
    });
    expect(server.reused).toBe(false);
    const db = new Database(path.join(dataDir, 'temporal.sqlite'), { readonly: true, fileMustExist: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  }, 180_000);
});
