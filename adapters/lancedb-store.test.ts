import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLanceDbStore, isLanceCommitConflict } from './lancedb-store.js';
import { contractPoint, describeVectorStoreContract } from './vector-store.contract.js';
import type { VectorStore } from './vector-store.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'docflow-lancedb-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describeVectorStoreContract('LanceDB (embedded, real database in a temp dir)', async () => createLanceDbStore({ dir: await tempDir() }));

describe('LanceDB store specifics', () => {
  it('persists across close and reopen', async () => {
    const dir = await tempDir();
    const first = await createLanceDbStore({ dir });
    await first.upsert('acme', [contractPoint('acme', 'doc-a', 0, [1, 0, 0, 0])]);
    await first.close();
    await expect(first.countAll('acme')).rejects.toThrow(/closed/);
    const second = await createLanceDbStore({ dir });
    expect(await second.countAll('acme')).toBe(1);
    expect(await readdir(dir)).toContain('tenant_acme_docs.lance');
    await second.close();
  });

  it('keeps ids unique when two store instances (as two processes) upsert the same new ids at once', async () => {
    // Separate connections have separate in-process write queues, so this exercises LanceDB's
    // optimistic concurrency and the primary-key conflict detection, not the promise chain.
    const dir = await tempDir();
    const stores = await Promise.all([1, 2, 3].map(() => createLanceDbStore({ dir })));
    await stores[0].ensureCollection('acme', 4);
    const rounds = Array.from({ length: 6 }, (_, r) => Array.from({ length: 20 }, (_, i) => contractPoint('acme', `doc-${r}`, i, [1, r, i, 0])));
    await Promise.all(stores.flatMap((s) => rounds.map((points) => s.upsert('acme', points))));
    // A fresh reader sees every commit of the others.
    expect(await stores[1].countAll('acme')).toBe(120);
    for (const s of stores) expect(await s.countAll('acme')).toBe(120);
    const ids = new Set<string>();
    for (let r = 0; r < 6; r++) for (const id of await stores[2].listDocumentPointIds('acme', `doc-${r}`)) ids.add(id);
    expect(ids.size).toBe(120);
    await Promise.all(stores.map((s) => s.close()));
  });

  it('creates a new tenant table safely when several instances race to create it', async () => {
    const dir = await tempDir();
    const stores = await Promise.all([1, 2, 3, 4].map(() => createLanceDbStore({ dir })));
    await Promise.all(stores.map((s, i) => s.upsert('race', [contractPoint('race', `doc-${i}`, 0, [1, i, 0, 0])])));
    expect(await stores[0].countAll('race')).toBe(4);
    await Promise.all(stores.map((s) => s.close()));
  });

  it('sees writes from another instance on a cached table (read consistency)', async () => {
    const dir = await tempDir();
    const reader = await createLanceDbStore({ dir });
    const writer = await createLanceDbStore({ dir });
    await writer.upsert('acme', [contractPoint('acme', 'doc-a', 0, [1, 0, 0, 0])]);
    expect(await reader.countAll('acme')).toBe(1); // opens and caches the table
    await writer.upsert('acme', [contractPoint('acme', 'doc-a', 1, [0, 1, 0, 0])]);
    expect(await reader.countAll('acme')).toBe(2);
    await writer.deleteDocument('acme', 'doc-a');
    expect(await reader.countAll('acme')).toBe(0);
    await Promise.all([reader.close(), writer.close()]);
  });

  it('does no I/O for an invalid tenant id', async () => {
    const dir = await tempDir();
    const store = await createLanceDbStore({ dir });
    const before = await readdir(dir); // connect itself lays down LanceDB's own bookkeeping
    await expect(store.upsert('../escape', [contractPoint('x', 'doc-a', 0, [1, 0, 0, 0])])).rejects.toThrow(/invalid tenant id/);
    await expect(store.ensureCollection('UPPER', 4)).rejects.toThrow(/invalid tenant id/);
    expect(await readdir(dir)).toEqual(before);
    expect(await readdir(path.dirname(dir))).not.toContain('escape');
    await store.close();
  });

  it('reports unhealthy when its directory stops being usable', async () => {
    const dir = await tempDir();
    const store: VectorStore = await createLanceDbStore({ dir });
    expect((await store.health()).ok).toBe(true);
    await rm(dir, { recursive: true, force: true });
    await writeFile(dir, 'a file where the directory was');
    const h = await store.health();
    expect(h.ok).toBe(false);
    expect(h.detail).toMatch(/unusable/);
    await store.close();
  });

  it('recognises the commit-conflict errors LanceDB raises, and nothing else', () => {
    // Messages observed from @lancedb/lancedb 0.31.0 (lance 8.0.0) under concurrent writers.
    expect(
      isLanceCommitConflict(
        new Error('lance error: Retryable commit conflict for version 2: This Overwrite transaction was preempted by concurrent transaction Overwrite at version 2. Please retry.'),
      ),
    ).toBe(true);
    expect(
      isLanceCommitConflict(
        new Error('Failed to execute merge insert: GenericFailure, lance error: Too many concurrent writers. Attempted 5 times, but failed on retry_timeout of 30.000 seconds.'),
      ),
    ).toBe(true);
    expect(isLanceCommitConflict(new Error("Table 'x' was not found"))).toBe(false);
    expect(isLanceCommitConflict(new Error('Invalid user input: vector dimension mismatch'))).toBe(false);
  });
});
