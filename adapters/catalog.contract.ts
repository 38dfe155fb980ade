/**
 * The behaviour every Catalog must show, written once and run against each implementation
 * (SQLite always, PostgreSQL when a server is available), so the two cannot drift apart:
 * records field by field, ISO timestamps, orderings, filters, pagination, tenant scoping,
 * uniqueness, atomic multi-row writes and several processes working on one store at once.
 * Each test gets a fresh, empty store.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Catalog, DocumentUpdate, NewDocument } from './catalog.js';

/** One empty store; `open` may be called several times, like several processes sharing it. */
export interface CatalogStore {
  open(now?: () => Date): Promise<Catalog>;
  /** Removes the store (file, database) after the test; every opened catalog is closed first. */
  dispose(): Promise<void>;
}

export type MakeCatalogStore = () => Promise<CatalogStore>;

/** A clock the test moves by hand, so timestamps and "newest first" are exact. */
function manualClock(start = '2026-03-01T10:00:00.000Z') {
  let t = Date.parse(start);
  return {
    now: () => new Date(t),
    iso: () => new Date(t).toISOString(),
    tick(ms = 1_000) {
      t += ms;
    },
  };
}

export const contractDocument = (id: string, hash = `h-${id}`, overrides: Partial<NewDocument> = {}): NewDocument => ({
  id,
  filename: `${id}.txt`,
  format: 'txt',
  contentHash: hash,
  size: 3,
  blobKey: `sha256/aa/${hash}`,
  duplicateOf: null,
  ...overrides,
});

const batchOf = (id: string, tenantId: string, documentCount: number, idempotencyKey: string | null = null) => ({
  id,
  tenantId,
  workflowId: `wf-${id}`,
  documentCount,
  idempotencyKey,
});

/** A document's outcome as a run records it (two chunks when indexed); tests of the steps use it too. */
export const outcome = (documentId: string, status: 'indexed' | 'failed' | 'cancelled', extra: Partial<DocumentUpdate> = {}): DocumentUpdate => ({
  documentId,
  status,
  chunks: status === 'indexed' ? 2 : 0,
  errorCode: status === 'indexed' ? null : status === 'cancelled' ? 'cancelled' : 'corrupt',
  errorMessage: status === 'indexed' ? null : 'x',
  attempt: 1,
  startedAt: 1,
  finishedAt: 2,
  ...extra,
});

/** Registers the suite `Catalog contract: <name>`. */
export function describeCatalogContract(name: string, makeStore: MakeCatalogStore): void {
  describe(`Catalog contract: ${name}`, () => {
    let store: CatalogStore | undefined;
    const opened: Catalog[] = [];
    let clock = manualClock();

    /** A catalog on a fresh store (the first call of a test) or on the test's store. */
    async function open(): Promise<Catalog> {
      store ??= await makeStore();
      const catalog = await store.open(clock.now);
      opened.push(catalog);
      return catalog;
    }

    afterEach(async () => {
      for (const c of opened.splice(0)) await c.close();
      await store?.dispose();
      store = undefined;
      clock = manualClock();
    });

    it('reports healthy', async () => {
      const catalog = await open();
      const health = await catalog.health();
      expect(health.ok, health.detail).toBe(true);
    });

    it('creates tenants once and lists them in byte order of their ids', async () => {
      const catalog = await open();
      const first = await catalog.ensureTenant('acme');
      expect(first).toEqual({ id: 'acme', createdAt: clock.iso() });
      clock.tick();
      expect(await catalog.ensureTenant('acme')).toEqual(first);
      expect(await catalog.getTenant('acme')).toEqual(first);
      expect(await catalog.getTenant('nobody')).toBeNull();
      for (const id of ['b', 'a_1', 'A', 'a-1', 'a']) await catalog.ensureTenant(id);
      // Byte order, not a locale's: upper case before lower, '-' before '_'.
      expect((await catalog.listTenants()).map((t) => t.id)).toEqual(['A', 'a', 'a-1', 'a_1', 'acme', 'b']);
    });

    it('stores keys hashed and resolves them to their tenant until revoked', async () => {
      const catalog = await open();
      await catalog.ensureTenant('acme');
      const key = await catalog.addApiKey('acme', 'hash-1', 'dfk_abcdefgh');
      expect(key).toEqual({ id: 'key_hash-1', tenantId: 'acme', prefix: 'dfk_abcdefgh', createdAt: clock.iso(), revokedAt: null });
      expect(await catalog.findTenantByKeyHash('hash-1')).toBe('acme');
      expect(await catalog.findTenantByKeyHash('hash-2')).toBeNull();
      clock.tick();
      expect(await catalog.revokeApiKeys('dfk_abcdefgh')).toBe(1);
      expect(await catalog.revokeApiKeys('dfk_abcdefgh')).toBe(0);
      expect(await catalog.revokeApiKeys('dfk_unknown')).toBe(0);
      expect(await catalog.findTenantByKeyHash('hash-1')).toBeNull();
      expect(await catalog.listApiKeys('acme')).toEqual([{ ...key, revokedAt: clock.iso() }]);
    });

    it('lists keys oldest first, all tenants grouped by tenant id', async () => {
      const catalog = await open();
      await catalog.ensureTenant('b');
      await catalog.ensureTenant('a');
      await catalog.addApiKey('b', 'hash-b1', 'dfk_b1');
      clock.tick();
      await catalog.addApiKey('a', 'hash-a1', 'dfk_a1');
      clock.tick();
      await catalog.addApiKey('b', 'hash-b2', 'dfk_b2');
      expect((await catalog.listApiKeys('b')).map((k) => k.prefix)).toEqual(['dfk_b1', 'dfk_b2']);
      expect((await catalog.listApiKeys()).map((k) => k.prefix)).toEqual(['dfk_a1', 'dfk_b1', 'dfk_b2']);
      expect(await catalog.listApiKeys('nobody')).toEqual([]);
    });

    it('refuses a key hash twice and a key or batch of an unknown tenant', async () => {
      const catalog = await open();
      await catalog.ensureTenant('a');
      await catalog.addApiKey('a', 'hash-1', 'dfk_1');
      await expect(catalog.addApiKey('a', 'hash-1', 'dfk_2')).rejects.toThrow();
      await expect(catalog.addApiKey('ghost', 'hash-9', 'dfk_9')).rejects.toThrow();
      await expect(catalog.createBatch(batchOf('b1', 'ghost', 1), [contractDocument('d1')])).rejects.toThrow();
      expect(await catalog.getBatch('ghost', 'b1')).toBeNull();
    });

    it('creates a batch with its documents as complete records', async () => {
      const catalog = await open();
      await catalog.ensureTenant('a');
      const created = clock.iso();
      await catalog.createBatch(batchOf('b1', 'a', 2, 'k1'), [
        contractDocument('d1', 'h1', { size: 5_000_000_000 }), // beyond 32 bits
        contractDocument('d2', 'h2', { duplicateOf: 'd0', filename: `it's "quoted"; DROP TABLE documents; -- ü 文書 📄.txt` }),
      ]);
      expect(await catalog.getBatch('a', 'b1')).toEqual({
        id: 'b1',
        tenantId: 'a',
        workflowId: 'wf-b1',
        status: 'running',
        documentCount: 2,
        createdAt: created,
        finishedAt: null,
        idempotencyKey: 'k1',
        finalSeq: null,
        currentRun: 1,
      });
      expect(await catalog.getDocument('a', 'd1')).toEqual({
        id: 'd1',
        tenantId: 'a',
        batchId: 'b1',
        position: 0,
        filename: 'd1.txt',
        format: 'txt',
        contentHash: 'h1',
        size: 5_000_000_000,
        blobKey: 'sha256/aa/h1',
        status: 'queued',
        chunks: 0,
        errorCode: null,
        errorMessage: null,
        version: 1,
        activeVersion: 1,
        pendingVersion: null,
        duplicateOf: null,
        lastReindexFailure: null,
        run: 1,
        attempt: 0,
        startedAt: null,
        finishedAt: null,
        createdAt: created,
        updatedAt: created,
      });
      // A duplicate of indexed content is skipped from the start.
      expect(await catalog.getDocument('a', 'd2')).toMatchObject({
        position: 1,
        status: 'skipped',
        duplicateOf: 'd0',
        filename: `it's "quoted"; DROP TABLE documents; -- ü 文書 📄.txt`,
      });
    });

    it('creates a batch with no documents, and a large one in upload order', async () => {
      const catalog = await open();
      await catalog.ensureTenant('a');
      await catalog.createBatch(batchOf('empty', 'a', 0), []);
      expect(await catalog.listBatchDocuments('a', 'empty', 0, 10)).toEqual([]);
      const ids = Array.from({ length: 1_500 }, (_, i) => `doc-${String(1_500 - i).padStart(4, '0')}`);
      await catalog.createBatch(
        batchOf('big', 'a', ids.length),
        ids.map((id) => contractDocument(id)),
      );
      const page = await catalog.listBatchDocuments('a', 'big', 1_000, 600);
      expect(page.map((d) => d.id)).toEqual(ids.slice(1_000));
      expect(page.map((d) => d.position)).toEqual(ids.slice(1_000).map((_, i) => 1_000 + i));
    });

    it('creates a batch and its documents atomically', async () => {
      const catalog = await open();
      await catalog.ensureTenant('a');
      await catalog.createBatch(batchOf('b1', 'a', 1), [contractDocument('d1')]);
      // d1 exists already: the whole second batch must be refused, batch row included.
      await expect(catalog.createBatch(batchOf('b2', 'a', 2), [contractDocument('d9'), contractDocument('d1')])).rejects.toThrow();
      expect(await catalog.getBatch('a', 'b2')).toBeNull();
      expect(await catalog.getDocument('a', 'd9')).toBeNull();
      await expect(catalog.createBatch(batchOf('b1', 'a', 1), [contractDocument('d5')])).rejects.toThrow();
      expect(await catalog.getDocument('a', 'd5')).toBeNull();
    });

    it('keeps idempotency keys unique per tenant', async () => {
      const catalog = await open();
      await catalog.ensureTenant('a');
      await catalog.ensureTenant('b');
      await catalog.createBatch(batchOf('b1', 'a', 1, 'k1'), [contractDocument('d1')]);
      await expect(catalog.createBatch(batchOf('b2', 'a', 1, 'k1'), [contractDocument('d2')])).rejects.toThrow();
      expect(await catalog.getDocument('a', 'd2')).toBeNull();
      await catalog.createBatch(batchOf('b3', 'b', 1, 'k1'), [contractDocument('d3')]);
      // Without a key there is no limit.
      await catalog.createBatch(batchOf('b4', 'a', 1), [contractDocument('d4')]);
      await catalog.createBatch(batchOf('b5', 'a', 1), [contractDocument('d5')]);
      expect((await catalog.findBatchByIdempotencyKey('a', 'k1'))?.id).toBe('b1');
      expect((await catalog.findBatchByIdempotencyKey('b', 'k1'))?.id).toBe('b3');
      expect(await catalog.findBatchByIdempotencyKey('a', 'k2')).toBeNull();
    });

    it('scopes every read and write by tenant', async () => {
      const catalog = await open();
      await catalog.ensureTenant('a');
      await catalog.ensureTenant('b');
      await catalog.createBatch(batchOf('b1', 'a', 3, 'k1'), [contractDocument('d1'), contractDocument('d2'), contractDocument('d3')]);
      expect((await catalog.listBatchDocuments('a', 'b1', 0, 10)).map((d) => d.id)).toEqual(['d1', 'd2', 'd3']);
      expect((await catalog.listBatchDocuments('a', 'b1', 1, 1)).map((d) => d.id)).toEqual(['d2']);
      expect(await catalog.listBatchDocuments('a', 'b1', 3, 10)).toEqual([]);
      expect(await catalog.getBatch('b', 'b1')).toBeNull();
      expect(await catalog.getDocument('b', 'd1')).toBeNull();
      expect(await catalog.listBatchDocuments('b', 'b1', 0, 10)).toEqual([]);
      expect(await catalog.listBatches('b', { limit: 10, offset: 0 })).toEqual([]);
      expect(await catalog.listDocuments('b', { limit: 10, offset: 0 })).toEqual([]);
      await catalog.setBatchStatus('b', 'b1', 'failed', 1);
      expect((await catalog.getBatch('a', 'b1'))?.status).toBe('running');
      expect(await catalog.cancelOpenDocuments('b', 'b1', 1, 'no')).toBe(0);
      expect(await catalog.startRetry('b', 'b1', 'all', (run) => `w-r${run}`)).toBeNull();
      expect(await catalog.deleteDocument('b', 'd1')).toBeNull();
      // An update aimed at another tenant's document changes nothing.
      await catalog.updateDocuments('b', [outcome('d1', 'failed')]);
      expect((await catalog.getDocument('a', 'd1'))?.status).toBe('queued');
    });

    it('records outcomes and stamps the update time', async () => {
      const catalog = await open();
      await catalog.ensureTenant('a');
      const created = clock.iso();
      await catalog.createBatch(batchOf('b1', 'a', 2), [contractDocument('d1'), contractDocument('d2')]);
      clock.tick();
      const startedAt = Date.parse('2026-03-01T10:00:00.500Z');
      await catalog.updateDocuments('a', [
        outcome('d1', 'indexed', { chunks: 4, attempt: 2, startedAt, finishedAt: startedAt + 750 }),
        outcome('d2', 'failed', { errorMessage: 'broken', attempt: 3, startedAt, finishedAt: null }),
      ]);
      expect(await catalog.getDocument('a', 'd1')).toMatchObject({
        status: 'indexed',
        chunks: 4,
        errorCode: null,
        errorMessage: null,
        attempt: 2,
        startedAt,
        finishedAt: startedAt + 750,
        createdAt: created,
        updatedAt: clock.iso(),
      });
      expect(await catalog.getDocument('a', 'd2')).toMatchObject({ status: 'failed', errorCode: 'corrupt', errorMessage: 'broken', attempt: 3, finishedAt: null });
      // Several updates of one document in one call: the last one wins.
      await catalog.updateDocuments('a', [outcome('d1', 'failed', { chunks: 1 }), outcome('d1', 'indexed', { chunks: 9 })]);
      expect(await catalog.getDocument('a', 'd1')).toMatchObject({ status: 'indexed', chunks: 9 });
      await catalog.updateDocuments('a', []);
      await catalog.updateDocuments('a', [outcome('missing', 'indexed')]);
    });

    it('sets batch status with its finish time and final seq', async () => {
      const catalog = await open();
      await catalog.ensureTenant('a');
      await catalog.createBatch(batchOf('b1', 'a', 1), [contractDocument('d1')]);
      clock.tick(60_000);
      await catalog.setBatchStatus('a', 'b1', 'completed_with_errors', 42);
      expect(await catalog.getBatch('a', 'b1')).toMatchObject({ status: 'completed_with_errors', finishedAt: clock.iso(), finalSeq: 42 });
      await catalog.setBatchStatus('a', 'b1', 'running');
      expect(await catalog.getBatch('a', 'b1')).toMatchObject({ status: 'running', finishedAt: null, finalSeq: null });
      await catalog.setBatchStatus('a', 'b1', 'failed');
      expect(await catalog.getBatch('a', 'b1')).toMatchObject({ status: 'failed', finishedAt: clock.iso(), finalSeq: null });
    });

    it('lists batches newest first, paged and filtered by status', async () => {
      const catalog = await open();
      await catalog.ensureTenant('a');
      for (const id of ['b1', 'b2', 'b3']) {
        await catalog.createBatch(batchOf(id, 'a', 1), [contractDocument(`${id}-d`)]);
        clock.tick();
      }
      // Same creation time: ties break by id.
      clock.tick(-1_000);
      await catalog.createBatch(batchOf('b0', 'a', 1), [contractDocument('b0-d')]);
      await catalog.setBatchStatus('a', 'b2', 'completed');
      await catalog.setBatchStatus('a', 'b0', 'completed');
      const ids = async (opts: { limit: number; offset: number; status?: 'completed' | 'running' }) => (await catalog.listBatches('a', opts)).map((b) => b.id);
      expect(await ids({ limit: 10, offset: 0 })).toEqual(['b0', 'b3', 'b2', 'b1']);
      expect(await ids({ limit: 2, offset: 1 })).toEqual(['b3', 'b2']);
      expect(await ids({ limit: 10, offset: 4 })).toEqual([]);
      expect(await ids({ limit: 10, offset: 0, status: 'completed' })).toEqual(['b0', 'b2']);
      expect(await ids({ limit: 1, offset: 1, status: 'running' })).toEqual(['b1']);
    });

    it('lists documents newest first, then by batch and position, with filters', async () => {
      const catalog = await open();
      await catalog.ensureTenant('a');
      await catalog.ensureTenant('b');
      await catalog.createBatch(batchOf('b1', 'a', 2), [contractDocument('d1', 'same'), contractDocument('d2', 'same')]);
      clock.tick();
      await catalog.createBatch(batchOf('b3', 'a', 2), [contractDocument('d5'), contractDocument('d4')]);
      await catalog.createBatch(batchOf('b2', 'a', 1), [contractDocument('d3')]);
      await catalog.createBatch(batchOf('e', 'b', 1), [contractDocument('e1')]);
      await catalog.updateDocuments('a', [outcome('d4', 'indexed'), outcome('d1', 'failed')]);
      const ids = async (opts: { limit: number; offset: number; status?: 'queued' | 'indexed' | 'failed'; batchId?: string }) =>
        (await catalog.listDocuments('a', opts)).map((d) => d.id);
      expect(await ids({ limit: 10, offset: 0 })).toEqual(['d3', 'd5', 'd4', 'd1', 'd2']);
      expect(await ids({ limit: 2, offset: 2 })).toEqual(['d4', 'd1']);
      expect(await ids({ limit: 10, offset: 5 })).toEqual([]);
      expect(await ids({ limit: 10, offset: 0, status: 'queued' })).toEqual(['d3', 'd5', 'd2']);
      expect(await ids({ limit: 10, offset: 0, batchId: 'b3' })).toEqual(['d5', 'd4']);
      expect(await ids({ limit: 10, offset: 0, batchId: 'b3', status: 'indexed' })).toEqual(['d4']);
      expect(await ids({ limit: 10, offset: 0, batchId: 'e' })).toEqual([]);
      // The keyset walk: id order, pages that continue where the last one ended, one tenant only.
      const after = async (afterId: string | null, limit: number) => (await catalog.listDocumentsAfter('a', afterId, limit)).map((d) => d.id);
      expect(await after(null, 2)).toEqual(['d1', 'd2']);
      expect(await after('d2', 2)).toEqual(['d3', 'd4']);
      expect(await after('d4', 2)).toEqual(['d5']);
      expect(await after('d5', 2)).toEqual([]);
      await catalog.deleteDocument('a', 'd3');
      expect(await after('d2', 2)).toEqual(['d4', 'd5']);
    });

    it('finds the oldest indexed document with the same content, within a tenant', async () => {
      const catalog = await open();
      await catalog.ensureTenant('a');
      await catalog.ensureTenant('b');
      await catalog.createBatch(batchOf('b1', 'a', 2), [contractDocument('d1', 'same'), contractDocument('d2', 'same')]);
      clock.tick();
      await catalog.createBatch(batchOf('b2', 'a', 1), [contractDocument('d3', 'same')]);
      expect(await catalog.findIndexedByHash('a', 'same')).toBeNull();
      await catalog.updateDocuments('a', [outcome('d3', 'indexed'), outcome('d1', 'failed')]);
      expect((await catalog.findIndexedByHash('a', 'same'))?.id).toBe('d3');
      await catalog.updateDocuments('a', [outcome('d2', 'indexed')]);
      expect((await catalog.findIndexedByHash('a', 'same'))?.id).toBe('d2');
      expect(await catalog.findIndexedByHash('b', 'same')).toBeNull();
      expect(await catalog.findIndexedByHash('a', 'other')).toBeNull();
    });

    it('starts a retry run for failed and cancelled documents only, and only of a finished batch', async () => {
      const catalog = await open();
      await catalog.ensureTenant('a');
      await catalog.createBatch(batchOf('b1', 'a', 3), [contractDocument('d1'), contractDocument('d2'), contractDocument('d3')]);
      await catalog.updateDocuments('a', [outcome('d1', 'indexed'), outcome('d2', 'failed'), outcome('d3', 'cancelled')]);
      expect(await catalog.startRetry('a', 'b1', 'all', (run) => `w-r${run}`)).toBeNull(); // still running
      expect(await catalog.startRetry('a', 'nope', 'all', (run) => `w-r${run}`)).toBeNull();
      await catalog.setBatchStatus('a', 'b1', 'completed_with_errors', 9);
      expect(await catalog.startRetry('a', 'b1', ['d1'], (run) => `w-r${run}`)).toEqual({ run: 2, documentIds: [] });
      expect(await catalog.getBatch('a', 'b1')).toMatchObject({ status: 'completed_with_errors', currentRun: 1 });
      clock.tick();
      expect(await catalog.startRetry('a', 'b1', 'all', (run) => `w-r${run}`)).toEqual({ run: 2, documentIds: ['d2', 'd3'] });
      expect(await catalog.getBatch('a', 'b1')).toMatchObject({ status: 'running', currentRun: 2, workflowId: 'w-r2', finalSeq: null, finishedAt: null });
      expect((await catalog.listBatchDocuments('a', 'b1', 0, 10, 2)).map((d) => [d.id, d.status, d.errorCode, d.errorMessage, d.attempt, d.startedAt, d.chunks])).toEqual([
        ['d2', 'queued', null, null, 0, null, 0],
        ['d3', 'queued', null, null, 0, null, 0],
      ]);
      expect(await catalog.getDocument('a', 'd2')).toMatchObject({ updatedAt: clock.iso(), finishedAt: null, run: 2 });
      expect(await catalog.getDocument('a', 'd1')).toMatchObject({ run: 1, status: 'indexed' });
      expect(await catalog.cancelOpenDocuments('a', 'b1', 2, 'stopped')).toBe(2);
      expect(await catalog.getDocument('a', 'd2')).toMatchObject({ status: 'cancelled', errorCode: 'cancelled', errorMessage: 'stopped' });
      expect((await catalog.getDocument('a', 'd1'))?.status).toBe('indexed');
      // Only the listed documents are requeued, in upload order.
      await catalog.setBatchStatus('a', 'b1', 'cancelled', 20);
      expect(await catalog.startRetry('a', 'b1', ['d3', 'd1'], (run) => `w-r${run}`)).toEqual({ run: 3, documentIds: ['d3'] });
      expect((await catalog.listBatchDocuments('a', 'b1', 0, 10, 3)).map((d) => d.id)).toEqual(['d3']);
    });

    it('starts a re-index run for indexed documents only, with the next version pending beside the active one', async () => {
      const catalog = await open();
      await catalog.ensureTenant('a');
      await catalog.createBatch(batchOf('b1', 'a', 4), [
        contractDocument('d1'),
        contractDocument('d2'),
        contractDocument('d3'),
        contractDocument('d4', 'h-d4', { duplicateOf: 'd0' }),
      ]);
      await catalog.updateDocuments('a', [outcome('d1', 'indexed', { chunks: 5 }), outcome('d2', 'indexed', { chunks: 7 }), outcome('d3', 'failed')]);
      expect(await catalog.startReindex('a', 'b1', 'all', (run) => `w-r${run}`)).toBeNull(); // still running
      expect(await catalog.startReindex('a', 'nope', 'all', (run) => `w-r${run}`)).toBeNull();
      await catalog.setBatchStatus('a', 'b1', 'completed_with_errors', 9);
      expect(await catalog.startReindex('a', 'b1', ['d3', 'd4'], (run) => `w-r${run}`)).toEqual({ run: 2, documentIds: [] });
      expect(await catalog.getBatch('a', 'b1')).toMatchObject({ status: 'completed_with_errors', currentRun: 1 });
      clock.tick();
      expect(await catalog.startReindex('a', 'b1', 'all', (run) => `w-r${run}`)).toEqual({ run: 2, documentIds: ['d1', 'd2'] });
      expect(await catalog.getBatch('a', 'b1')).toMatchObject({ status: 'running', currentRun: 2, workflowId: 'w-r2', finalSeq: null, finishedAt: null });
      // The documents stay indexed at their active version, with their chunk count, while the next one is built.
      expect((await catalog.listBatchDocuments('a', 'b1', 0, 10, 2)).map((d) => [d.id, d.status, d.chunks, d.version, d.activeVersion, d.pendingVersion])).toEqual([
        ['d1', 'indexed', 5, 2, 1, 2],
        ['d2', 'indexed', 7, 2, 1, 2],
      ]);
      expect(await catalog.getDocument('a', 'd1')).toMatchObject({ updatedAt: clock.iso(), run: 2 });
      expect(await catalog.listPendingVersions('a')).toEqual([
        { documentId: 'd1', activeVersion: 1 },
        { documentId: 'd2', activeVersion: 1 },
      ]);
      expect(await catalog.listPendingVersions('b')).toEqual([]);
      // A document already re-indexing is not started again.
      await catalog.setBatchStatus('a', 'b1', 'completed', 12);
      expect(await catalog.startReindex('a', 'b1', ['d1'], (run) => `w-r${run}`)).toEqual({ run: 3, documentIds: [] });
    });

    it('activates a complete version in one write, then settles, and leaves a failed one inactive', async () => {
      const catalog = await open();
      await catalog.ensureTenant('a');
      await catalog.createBatch(batchOf('b1', 'a', 2), [contractDocument('d1'), contractDocument('d2')]);
      await catalog.updateDocuments('a', [outcome('d1', 'indexed', { chunks: 5 }), outcome('d2', 'indexed', { chunks: 7 })]);
      await catalog.setBatchStatus('a', 'b1', 'completed', 3);
      await catalog.startReindex('a', 'b1', 'all', (run) => `w-r${run}`);
      clock.tick();
      // Another tenant cannot activate this tenant's document.
      await catalog.activateVersions('b', [outcome('d1', 'indexed', { chunks: 9 })]);
      expect(await catalog.getDocument('a', 'd1')).toMatchObject({ activeVersion: 1, pendingVersion: 2, chunks: 5 });
      await catalog.activateVersions('a', [outcome('d1', 'indexed', { chunks: 9, attempt: 2, startedAt: 10, finishedAt: 20 })]);
      expect(await catalog.getDocument('a', 'd1')).toMatchObject({
        status: 'indexed',
        version: 2,
        activeVersion: 2,
        pendingVersion: 1,
        chunks: 9,
        attempt: 2,
        startedAt: 10,
        finishedAt: 20,
        updatedAt: clock.iso(),
      });
      // A repeat finds nothing being built and changes nothing.
      await catalog.activateVersions('a', [outcome('d1', 'indexed', { chunks: 1 })]);
      expect(await catalog.getDocument('a', 'd1')).toMatchObject({ activeVersion: 2, pendingVersion: 1, chunks: 9 });
      expect(await catalog.listPendingVersions('a')).toEqual([
        { documentId: 'd1', activeVersion: 2 },
        { documentId: 'd2', activeVersion: 1 },
      ]);
      // d2's re-index failed: once its partial points are gone it settles back on version 1.
      await catalog.settleVersions('b', ['d1', 'd2']);
      expect(await catalog.listPendingVersions('a')).toHaveLength(2);
      await catalog.settleVersions('a', ['d1', 'd2']);
      expect(await catalog.listPendingVersions('a')).toEqual([]);
      expect(await catalog.getDocument('a', 'd2')).toMatchObject({ status: 'indexed', version: 2, activeVersion: 1, pendingVersion: null, chunks: 7 });
      // The next re-index of d2 builds a version never used before.
      await catalog.setBatchStatus('a', 'b1', 'completed', 4);
      expect(await catalog.startReindex('a', 'b1', ['d2'], (run) => `w-r${run}`)).toEqual({ run: 3, documentIds: ['d2'] });
      expect(await catalog.getDocument('a', 'd2')).toMatchObject({ version: 3, activeVersion: 1, pendingVersion: 3 });
      // Had d2 later failed for good (its active version lost), a retry builds and answers from its newest version.
      await catalog.updateDocuments('a', [outcome('d2', 'failed')]);
      await catalog.setBatchStatus('a', 'b1', 'failed', 5);
      expect(await catalog.startRetry('a', 'b1', ['d2'], (run) => `w-r${run}`)).toEqual({ run: 4, documentIds: ['d2'] });
      expect(await catalog.getDocument('a', 'd2')).toMatchObject({ status: 'queued', version: 3, activeVersion: 3, pendingVersion: null });
    });

    it('records why a re-index did not complete, keeps the first reason per version, and clears it when a later version is activated', async () => {
      const catalog = await open();
      await catalog.ensureTenant('a');
      await catalog.createBatch(batchOf('b1', 'a', 3), [contractDocument('d1'), contractDocument('d2'), contractDocument('d3')]);
      await catalog.updateDocuments('a', [outcome('d1', 'indexed', { chunks: 5 }), outcome('d2', 'indexed', { chunks: 7 }), outcome('d3', 'failed')]);
      await catalog.setBatchStatus('a', 'b1', 'completed_with_errors', 3);
      await catalog.startReindex('a', 'b1', ['d1', 'd2'], (run) => `w-r${run}`);
      clock.tick();
      const failedAt = clock.iso();
      // Another tenant's call, and documents that are not indexed at an older version, are left alone.
      await catalog.recordReindexFailures('b', [{ documentId: 'd1', code: 'corrupt', message: 'other tenant' }]);
      await catalog.recordReindexFailures('a', [
        { documentId: 'd1', code: 'corrupt', message: 'The new version could not be parsed.' },
        { documentId: 'd1', code: 'internal_error', message: 'a second reason in the same call' },
        { documentId: 'd3', code: 'cancelled', message: 'never re-indexed' },
      ]);
      expect(await catalog.getDocument('a', 'd1')).toMatchObject({
        status: 'indexed',
        errorCode: null,
        errorMessage: null,
        chunks: 5,
        version: 2,
        activeVersion: 1,
        pendingVersion: 2,
        lastReindexFailure: { code: 'corrupt', message: 'The new version could not be parsed.', version: 2, at: failedAt },
        updatedAt: failedAt,
      });
      expect((await catalog.getDocument('a', 'd3'))?.lastReindexFailure).toBeNull();
      // A later, vaguer writer about the same version (settling a terminated run) keeps the first reason.
      await catalog.settleVersions('a', ['d1']);
      clock.tick();
      await catalog.recordReindexFailures('a', [{ documentId: 'd1', code: 'cancelled', message: 'terminated' }]);
      expect((await catalog.getDocument('a', 'd1'))?.lastReindexFailure).toEqual({ code: 'corrupt', message: 'The new version could not be parsed.', version: 2, at: failedAt });
      // d2 completes: its new version becomes active, nothing is recorded against it.
      await catalog.activateVersions('a', [outcome('d2', 'indexed', { chunks: 8 })]);
      await catalog.recordReindexFailures('a', [{ documentId: 'd2', code: 'corrupt', message: 'too late' }]);
      expect((await catalog.getDocument('a', 'd2'))?.lastReindexFailure).toBeNull();
      // The next re-index of d1 fails for another reason: recorded against its own version.
      await catalog.setBatchStatus('a', 'b1', 'completed', 4);
      expect(await catalog.startReindex('a', 'b1', ['d1'], (run) => `w-r${run}`)).toEqual({ run: 3, documentIds: ['d1'] });
      expect((await catalog.getDocument('a', 'd1'))?.lastReindexFailure).toMatchObject({ version: 2 }); // still the last outcome while the run goes on
      await catalog.recordReindexFailures('a', [{ documentId: 'd1', code: 'timeout', message: 'The embedding service did not answer.' }]);
      expect((await catalog.getDocument('a', 'd1'))?.lastReindexFailure).toEqual({
        code: 'timeout',
        message: 'The embedding service did not answer.',
        version: 3,
        at: clock.iso(),
      });
      // And the one after succeeds: the failure is cleared as version 4 becomes active.
      await catalog.settleVersions('a', ['d1']);
      await catalog.setBatchStatus('a', 'b1', 'completed', 5);
      await catalog.startReindex('a', 'b1', ['d1'], (run) => `w-r${run}`);
      await catalog.activateVersions('a', [outcome('d1', 'indexed', { chunks: 6 })]);
      expect(await catalog.getDocument('a', 'd1')).toMatchObject({ activeVersion: 4, lastReindexFailure: null });
    });

    it('clears a recorded re-index failure when the document is retried', async () => {
      const catalog = await open();
      await catalog.ensureTenant('a');
      await catalog.createBatch(batchOf('b1', 'a', 1), [contractDocument('d1')]);
      await catalog.updateDocuments('a', [outcome('d1', 'indexed')]);
      await catalog.setBatchStatus('a', 'b1', 'completed', 1);
      await catalog.startReindex('a', 'b1', 'all', (run) => `w-r${run}`);
      await catalog.recordReindexFailures('a', [{ documentId: 'd1', code: 'cancelled', message: 'stopped' }]);
      expect((await catalog.getDocument('a', 'd1'))?.lastReindexFailure).toMatchObject({ code: 'cancelled', version: 2 });
      // Had the document later failed for good, a retry starts it afresh, without the old re-index's reason.
      await catalog.updateDocuments('a', [outcome('d1', 'failed')]);
      await catalog.setBatchStatus('a', 'b1', 'failed', 2);
      await catalog.startRetry('a', 'b1', ['d1'], (run) => `w-r${run}`);
      expect(await catalog.getDocument('a', 'd1')).toMatchObject({ status: 'queued', lastReindexFailure: null });
    });

    describe('index spaces', () => {
      const gen1 = { model: 'model-a', dimensions: 8 };
      const switchTo = (model: string, workflowId: string, dimensions = 16) => ({ model, dimensions, workflowId });

      it('records generation 1 as active and opens generation 2 as building on the first switch', async () => {
        const catalog = await open();
        await catalog.ensureTenant('a');
        const tenantCreated = clock.iso();
        expect(await catalog.listIndexSpaces('a')).toEqual([]);
        clock.tick();
        const opened = await catalog.beginIndexSpace('a', switchTo('model-b', 'switch-1'), gen1);
        const gen2 = { tenantId: 'a', generation: 2, model: 'model-b', dimensions: 16, state: 'building', workflowId: 'switch-1', createdAt: clock.iso(), activatedAt: null };
        expect(opened).toEqual(gen2);
        expect(await catalog.listIndexSpaces('a')).toEqual([
          { tenantId: 'a', generation: 1, model: 'model-a', dimensions: 8, state: 'active', workflowId: null, createdAt: tenantCreated, activatedAt: tenantCreated },
          gen2,
        ]);
      });

      it('opens one switch at a time: refused while building and while retiring, then generation 3', async () => {
        const catalog = await open();
        await catalog.ensureTenant('a');
        await catalog.beginIndexSpace('a', switchTo('model-b', 'switch-1'), gen1);
        const before = await catalog.listIndexSpaces('a');
        expect(await catalog.beginIndexSpace('a', switchTo('model-c', 'switch-2'), gen1)).toBeNull();
        expect(await catalog.listIndexSpaces('a')).toEqual(before);

        clock.tick();
        expect(await catalog.activateIndexSpace('a', 2)).toBe(true);
        expect((await catalog.listIndexSpaces('a')).map((s) => [s.generation, s.state, s.activatedAt])).toEqual([
          [1, 'retiring', before[0].activatedAt],
          [2, 'active', clock.iso()],
        ]);
        // A repeat, or a generation that is not building, changes nothing.
        expect(await catalog.activateIndexSpace('a', 2)).toBe(false);
        expect(await catalog.activateIndexSpace('a', 1)).toBe(false);
        expect(await catalog.activateIndexSpace('a', 7)).toBe(false);
        expect((await catalog.listIndexSpaces('a')).map((s) => s.state)).toEqual(['retiring', 'active']);

        expect(await catalog.beginIndexSpace('a', switchTo('model-c', 'switch-2'), gen1)).toBeNull();
        await catalog.closeIndexSpace('a', 1);
        await catalog.closeIndexSpace('a', 1); // repeat-safe
        await catalog.closeIndexSpace('a', 2); // the active one is left alone
        expect((await catalog.listIndexSpaces('a')).map((s) => s.state)).toEqual(['retired', 'active']);

        const third = await catalog.beginIndexSpace('a', switchTo('model-c', 'switch-2', 32), gen1);
        expect(third).toMatchObject({ generation: 3, model: 'model-c', dimensions: 32, state: 'building', workflowId: 'switch-2' });
      });

      it('abandons a failed switch, leaves the active space alone, and never reuses its generation', async () => {
        const catalog = await open();
        await catalog.ensureTenant('a');
        await catalog.beginIndexSpace('a', switchTo('model-b', 'switch-1'), gen1);
        await catalog.closeIndexSpace('a', 2);
        await catalog.closeIndexSpace('a', 2);
        expect((await catalog.listIndexSpaces('a')).map((s) => [s.generation, s.state, s.activatedAt === null])).toEqual([
          [1, 'active', false],
          [2, 'abandoned', true],
        ]);
        // An abandoned space cannot be activated after all.
        expect(await catalog.activateIndexSpace('a', 2)).toBe(false);
        // The next switch builds a new generation; `current` is not used again once generation 1 is recorded.
        const next = await catalog.beginIndexSpace('a', switchTo('model-b', 'switch-2'), { model: 'ignored', dimensions: 3 });
        expect(next).toMatchObject({ generation: 3, state: 'building', workflowId: 'switch-2' });
        await catalog.closeIndexSpace('a', 3);
        expect((await catalog.beginIndexSpace('a', switchTo('model-b', 'switch-3'), gen1))?.generation).toBe(4);
        expect((await catalog.listIndexSpaces('a')).map((s) => [s.generation, s.model, s.state])).toEqual([
          [1, 'model-a', 'active'],
          [2, 'model-b', 'abandoned'],
          [3, 'model-b', 'abandoned'],
          [4, 'model-b', 'building'],
        ]);
      });

      it('keeps each tenant to its own spaces', async () => {
        const catalog = await open();
        await catalog.ensureTenant('a');
        await catalog.ensureTenant('b');
        await catalog.beginIndexSpace('a', switchTo('model-b', 'switch-a'), gen1);
        // b's switch is not blocked by a's, and starts from its own generation 1.
        expect(await catalog.beginIndexSpace('b', switchTo('model-c', 'switch-b'), { model: 'model-a', dimensions: 8 })).toMatchObject({ tenantId: 'b', generation: 2 });
        expect(await catalog.activateIndexSpace('b', 2)).toBe(true);
        await catalog.closeIndexSpace('b', 1);
        // Another tenant's calls never reach a's spaces.
        expect(await catalog.activateIndexSpace('c', 2)).toBe(false);
        await catalog.closeIndexSpace('c', 2);
        expect((await catalog.listIndexSpaces('a')).map((s) => [s.tenantId, s.generation, s.state])).toEqual([
          ['a', 1, 'active'],
          ['a', 2, 'building'],
        ]);
        expect((await catalog.listIndexSpaces('b')).map((s) => [s.generation, s.model, s.state])).toEqual([
          [1, 'model-a', 'retired'],
          [2, 'model-c', 'active'],
        ]);
        expect(await catalog.listIndexSpaces('c')).toEqual([]);
      });

      it('refuses invalid models, dimensions and generations before writing anything', async () => {
        const catalog = await open();
        await catalog.ensureTenant('a');
        await expect(catalog.beginIndexSpace('a', switchTo('', 'w'), gen1)).rejects.toThrow('invalid index space next.model');
        await expect(catalog.beginIndexSpace('a', switchTo('m', 'w', 0), gen1)).rejects.toThrow('invalid index space next.dimensions');
        await expect(catalog.beginIndexSpace('a', switchTo('m', 'w'), { model: 'm0', dimensions: 1.5 })).rejects.toThrow('invalid index space current.dimensions');
        await expect(catalog.activateIndexSpace('a', 0)).rejects.toThrow('invalid index generation');
        await expect(catalog.closeIndexSpace('a', Number.NaN)).rejects.toThrow('invalid index generation');
        expect(await catalog.listIndexSpaces('a')).toEqual([]);
      });

      it('lets only one of two simultaneous switches of a tenant open a space', async () => {
        const [one, two] = [await open(), await open()];
        await one.ensureTenant('a');
        const results = await Promise.all([one.beginIndexSpace('a', switchTo('model-b', 'w-1'), gen1), two.beginIndexSpace('a', switchTo('model-c', 'w-2'), gen1)]);
        expect(results.filter((r) => r === null)).toHaveLength(1);
        expect((await one.listIndexSpaces('a')).map((s) => [s.generation, s.state])).toEqual([
          [1, 'active'],
          [2, 'building'],
        ]);
      });
    });

    it('cancels only the open documents of the given run', async () => {
      const catalog = await open();
      await catalog.ensureTenant('a');
      await catalog.createBatch(
        batchOf('b1', 'a', 4),
        ['d1', 'd2', 'd3', 'd4'].map((id) => contractDocument(id)),
      );
      await catalog.updateDocuments('a', [
        outcome('d1', 'indexed'),
        { ...outcome('d2', 'indexed'), status: 'embedding', chunks: 0 },
        { ...outcome('d3', 'indexed'), status: 'parsing', chunks: 0 },
      ]);
      expect(await catalog.cancelOpenDocuments('a', 'b1', 2, 'stopped')).toBe(0);
      expect(await catalog.cancelOpenDocuments('a', 'b1', 1, 'stopped')).toBe(3);
      expect((await catalog.listBatchDocuments('a', 'b1', 0, 10)).map((d) => d.status)).toEqual(['indexed', 'cancelled', 'cancelled', 'cancelled']);
    });

    it('deletes a document, telling whether its blob is still shared', async () => {
      const catalog = await open();
      await catalog.ensureTenant('a');
      await catalog.createBatch(batchOf('b1', 'a', 2), [contractDocument('d1', 'same'), contractDocument('d2', 'same')]);
      expect(await catalog.deleteDocument('a', 'nope')).toBeNull();
      expect(await catalog.deleteDocument('a', 'd1')).toEqual({ blobKey: 'sha256/aa/same', blobStillUsed: true });
      expect(await catalog.deleteDocument('a', 'd1')).toBeNull();
      expect(await catalog.deleteDocument('a', 'd2')).toEqual({ blobKey: 'sha256/aa/same', blobStillUsed: false });
      expect(await catalog.getDocument('a', 'd2')).toBeNull();
      expect(await catalog.listBatchDocuments('a', 'b1', 0, 10)).toEqual([]);
    });

    it('keeps its data across close and reopen', async () => {
      const first = await open();
      await first.ensureTenant('a');
      await first.addApiKey('a', 'hash-1', 'dfk_1');
      await first.createBatch(batchOf('b1', 'a', 1, 'k'), [contractDocument('d1')]);
      const before = await first.getDocument('a', 'd1');
      await first.close();
      opened.splice(opened.indexOf(first), 1);
      const again = await open();
      expect(await again.findTenantByKeyHash('hash-1')).toBe('a');
      expect(await again.getDocument('a', 'd1')).toEqual(before);
    });

    it('lets several processes open the same empty store at once', async () => {
      store = await makeStore();
      const catalogs = await Promise.all(Array.from({ length: 4 }, () => store!.open(clock.now)));
      opened.push(...catalogs);
      await catalogs[0].ensureTenant('a');
      for (const c of catalogs) expect(await c.getTenant('a')).not.toBeNull();
    });

    it('applies concurrent outcome updates from several workers whole, without deadlock', async () => {
      const workers = [await open(), await open(), await open()];
      await workers[0].ensureTenant('a');
      const ids = Array.from({ length: 20 }, (_, i) => `d${String(i).padStart(2, '0')}`);
      await workers[0].createBatch(
        batchOf('b1', 'a', ids.length),
        ids.map((id) => contractDocument(id)),
      );
      // Each call writes one marker to every document, in its own order (a seeded shuffle).
      let seed = 7;
      const shuffled = () => {
        const order = [...ids];
        for (let i = order.length - 1; i > 0; i--) {
          seed = (seed * 16807) % 2147483647;
          const j = seed % (i + 1);
          [order[i], order[j]] = [order[j], order[i]];
        }
        return order;
      };
      const calls = Array.from({ length: 24 }, (_, call) =>
        workers[call % workers.length].updateDocuments(
          'a',
          shuffled().map((id) => outcome(id, 'indexed', { chunks: call + 1 })),
        ),
      );
      await Promise.all(calls);
      const docs = await workers[1].listBatchDocuments('a', 'b1', 0, 100);
      expect(docs.every((d) => d.status === 'indexed')).toBe(true);
      // One call's writes landed last on every row: no call was interleaved with another.
      expect(new Set(docs.map((d) => d.chunks)).size).toBe(1);
    });

    it('lets only one of two simultaneous retries of a batch start a run', async () => {
      const [one, two] = [await open(), await open()];
      await one.ensureTenant('a');
      await one.createBatch(batchOf('b1', 'a', 1), [contractDocument('d1')]);
      await one.updateDocuments('a', [outcome('d1', 'failed')]);
      await one.setBatchStatus('a', 'b1', 'failed', 3);
      const results = await Promise.all([one.startRetry('a', 'b1', 'all', (r) => `w-r${r}`), two.startRetry('a', 'b1', 'all', (r) => `w-r${r}`)]);
      expect(results.filter((r) => r === null)).toHaveLength(1);
      expect(results.find((r) => r !== null)).toEqual({ run: 2, documentIds: ['d1'] });
      expect((await one.getBatch('a', 'b1'))?.currentRun).toBe(2);
    });

    it('tells exactly one of two simultaneous deletes sharing a blob that the blob is free', async () => {
      const [one, two] = [await open(), await open()];
      await one.ensureTenant('a');
      for (let round = 0; round < 5; round++) {
        const [x, y] = [`x${round}`, `y${round}`];
        await one.createBatch(batchOf(`b${round}`, 'a', 2), [contractDocument(x, `same${round}`), contractDocument(y, `same${round}`)]);
        const results = await Promise.all([one.deleteDocument('a', x), two.deleteDocument('a', y)]);
        expect(results.map((r) => r?.blobStillUsed).sort()).toEqual([false, true]);
      }
    });
  });
}
