import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { Field, FixedSizeList, Float32, Int32, Schema, Utf8 } from 'apache-arrow';
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

  it('keeps each generation in its own table directory, and drops only that one', async () => {
    const dir = await tempDir();
    const store = await createLanceDbStore({ dir });
    await store.upsert('acme', [contractPoint('acme', 'doc-a', 0, [1, 0, 0, 0])]);
    await store.forGeneration(2).upsert('acme', [contractPoint('acme', 'doc-a', 0, [1, 0])]);
    expect((await readdir(dir)).filter((f) => f.endsWith('.lance')).sort()).toEqual(['tenant_acme_docs.lance', 'tenant_acme_docs_g2.lance']);
    await store.forGeneration(2).dropCollection('acme');
    expect((await readdir(dir)).filter((f) => f.endsWith('.lance'))).toEqual(['tenant_acme_docs.lance']);
    // Closing a generation's view leaves the shared connection open; closing the store closes it.
    await store.forGeneration(2).close();
    expect(await store.countAll('acme')).toBe(1);
    await store.close();
    await expect(store.forGeneration(2).countAll('acme')).rejects.toThrow(/closed/);
  });

  it('forgets a table another instance dropped: reads answer as for a missing one, a write creates it again', async () => {
    const dir = await tempDir();
    const [reader, dropper] = await Promise.all([createLanceDbStore({ dir }), createLanceDbStore({ dir })]);
    const g2 = reader.forGeneration(2);
    await g2.upsert('acme', [contractPoint('acme', 'doc-a', 0, [1, 0, 0, 0], { text: 'pump' })]);
    // The reader has the table open and its vector size cached.
    expect(await g2.countAll('acme')).toBe(1);
    expect(await g2.keywordSearch('acme', 'pump', 5)).toHaveLength(1);
    await dropper.forGeneration(2).dropCollection('acme');
    expect(await g2.countAll('acme')).toBe(0);
    expect(await g2.search('acme', [1, 0, 0, 0], 5)).toEqual([]);
    expect(await g2.keywordSearch('acme', 'pump', 5)).toEqual([]);
    expect(await g2.listPointRefs('acme')).toEqual([]);
    await g2.deleteDocument('acme', 'doc-a');
    // Created again, by the other instance and with another vector size: the reader follows.
    await dropper.forGeneration(2).upsert('acme', [contractPoint('acme', 'doc-b', 0, [0, 1, 0, 0, 0, 0])]);
    expect(await g2.countAll('acme')).toBe(1);
    await g2.upsert('acme', [contractPoint('acme', 'doc-c', 0, [1, 0, 0, 0, 0, 0])]);
    expect(await dropper.forGeneration(2).countAll('acme')).toBe(2);
    // And a write after another drop recreates it from the writer's side too.
    await dropper.forGeneration(2).dropCollection('acme');
    await g2.upsert('acme', [contractPoint('acme', 'doc-d', 0, [1, 0])]);
    expect(await dropper.forGeneration(2).countAll('acme')).toBe(1);
    await Promise.all([reader.close(), dropper.close()]);
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

  it('brings a table made before keyword search up to date when it is opened, from several instances at once', async () => {
    // The first release's table: no heading path, OCR confidence or offsets, and no full-text index.
    const dir = await tempDir();
    const db = await lancedb.connect(dir);
    const int = (name: string, nullable = true) => new Field(name, new Int32(), nullable);
    const text = (name: string, nullable = true) => new Field(name, new Utf8(), nullable);
    const old = await db.createEmptyTable(
      'tenant_acme_docs',
      new Schema([
        new Field('id', new Utf8(), false, new Map([['lance-schema:unenforced-primary-key', 'true']])),
        new Field('vector', new FixedSizeList(4, new Field('item', new Float32(), true)), false),
        ...['tenantId', 'documentId', 'batchId'].map((n) => text(n, false)),
        int('version', false),
        int('chunkIndex', false),
        text('text', false),
        text('filename', false),
        int('page'),
        text('heading'),
        text('sheet'),
        int('rowStart'),
        int('rowEnd'),
      ]),
    );
    const legacy = contractPoint('acme', 'doc-old', 0, [1, 0, 0, 0], { heading: 'Pumps', text: 'legacy chunk about the bilge pump' });
    const { headingPath: _h, ocrConfidence: _o, charStart: _s, charEnd: _e, ...legacyPayload } = legacy.payload;
    await old.add([{ id: legacy.id, vector: legacy.vector, ...legacyPayload }]);
    old.close();
    db.close();

    const stores = await Promise.all([1, 2, 3].map(() => createLanceDbStore({ dir })));
    const found = await Promise.all(stores.map((s) => s.keywordSearch('acme', 'bilge', 5)));
    for (const hits of found) {
      // Read back with the nearest heading as its path and nothing recorded for the rest.
      expect(hits.map((h) => h.payload)).toEqual([{ ...legacyPayload, headingPath: ['Pumps'], ocrConfidence: null, charStart: null, charEnd: null }]);
    }
    const fresh = contractPoint('acme', 'doc-new', 0, [0, 1, 0, 0], { headingPath: ['Manual', 'Valves'], ocrConfidence: 88, text: 'new chunk about the bilge valve' });
    await stores[1].upsert('acme', [fresh]);
    expect((await stores[2].keywordSearch('acme', 'valve', 5)).map((h) => h.payload)).toEqual([fresh.payload]);
    expect(await stores[0].countAll('acme')).toBe(2);
    await Promise.all(stores.map((s) => s.close()));
  });

  it('keeps the full-text index current while a table is young, and lets a small share of new rows wait', async () => {
    const dir = await tempDir();
    const store = await createLanceDbStore({ dir });
    // A word repeated more often than the table has rows: weighed by LanceDB's flat scan as
    // worthless, found once the rows are indexed.
    await store.upsert('acme', [
      contractPoint('acme', 'doc-a', 0, [1, 0, 0, 0], { text: 'saffron saffron from Navelli' }),
      contractPoint('acme', 'doc-b', 0, [0, 1, 0, 0], { text: 'saffron risotto' }),
    ]);
    expect((await store.keywordSearch('acme', 'saffron', 5)).map((h) => h.payload.documentId).sort()).toEqual(['doc-a', 'doc-b']);
    const db = await lancedb.connect(dir, { readConsistencyInterval: 0 });
    const table = await db.openTable('tenant_acme_docs');
    expect(await table.indexStats('text_idx')).toMatchObject({ numUnindexedRows: 0, numIndexedRows: 2 });
    await store.upsert(
      'acme',
      Array.from({ length: 40 }, (_, i) => contractPoint('acme', `doc-${i}`, 1, [1, i, 0, 0], { text: `filler ${i}` })),
    );
    expect(await table.indexStats('text_idx')).toMatchObject({ numUnindexedRows: 0, numIndexedRows: 42 });
    // 5 new rows next to 42 indexed ones: under a quarter, so they are scanned flat until later.
    await store.upsert(
      'acme',
      Array.from({ length: 5 }, (_, i) => contractPoint('acme', `doc-late-${i}`, 0, [0, 0, 1, i], { text: `late arrival ${i}` })),
    );
    expect(await table.indexStats('text_idx')).toMatchObject({ numUnindexedRows: 5 });
    expect(await store.keywordSearch('acme', 'arrival', 10)).toHaveLength(5);
    await store.compact('acme');
    expect(await table.indexStats('text_idx')).toMatchObject({ numUnindexedRows: 0 });
    table.close();
    db.close();
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
    expect(
      isLanceCommitConflict(new Error('lance error: Incompatible transaction: This CreateIndex transaction is incompatible with concurrent transaction Overwrite at version 2.')),
    ).toBe(true);
    expect(isLanceCommitConflict(new Error("Table 'x' was not found"))).toBe(false);
    expect(isLanceCommitConflict(new Error('Invalid user input: vector dimension mismatch'))).toBe(false);
  });
});
