import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLanceDbStore } from '../adapters/lancedb-store.js';
import { contractPoint } from '../adapters/vector-store.contract.js';
import { lanceOutage } from './lance-outage.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('lanceOutage', () => {
  it('makes the real store fail its writes and reads until it ends, and loses nothing', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'docflow-lance-outage-'));
    dirs.push(dir);
    const store = await createLanceDbStore({ dir });
    await store.upsert('acme', [contractPoint('acme', 'doc-a', 0, [1, 0, 0, 0])]);
    const outage = lanceOutage(dir);

    expect(outage.begin()).toBe(1);
    await expect(store.upsert('acme', [contractPoint('acme', 'doc-a', 1, [0, 1, 0, 0])])).rejects.toThrow(/_versions/);
    await expect(store.deleteDocument('acme', 'doc-a')).rejects.toThrow();
    await expect(store.countAll('acme')).rejects.toThrow();

    outage.end();
    await store.upsert('acme', [contractPoint('acme', 'doc-a', 1, [0, 1, 0, 0])]);
    expect(await store.countAll('acme')).toBe(2);
    await store.close();
    // Another process opening the directory afterwards sees exactly the committed points.
    const reopened = await createLanceDbStore({ dir });
    expect((await reopened.listPointRefs('acme')).map((r) => r.chunkIndex).sort()).toEqual([0, 1]);
    await reopened.close();
  });

  it('refuses to begin twice and ends cleanly when there are no tables yet', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'docflow-lance-outage-'));
    dirs.push(dir);
    const outage = lanceOutage(dir);
    expect(outage.begin()).toBe(0);
    outage.end();
    const store = await createLanceDbStore({ dir });
    await store.upsert('acme', [contractPoint('acme', 'doc-a', 0, [1, 0, 0, 0])]);
    expect(outage.begin()).toBe(1);
    expect(() => outage.begin()).toThrow(/already/);
    outage.end();
    expect(await store.countAll('acme')).toBe(1);
    await store.close();
  });
});
