/**
 * The behaviour every VectorStore must show, written once and run against each implementation
 * (LanceDB in the unit suite, a real Qdrant in the live suite), so the two cannot drift apart.
 * Each test works in fresh tenants, so a shared server never mixes runs.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pointId } from '../core/ids.js';
import type { PointPayload, VectorPoint, VectorStore } from './vector-store.js';

/** Builds the store under test; called once per suite. */
export type MakeVectorStore = () => VectorStore | Promise<VectorStore>;

/** Hooks for stores whose data outlives the test run (a shared Qdrant). */
export interface VectorStoreContractOptions {
  /** Prefix of the generated tenant ids, so leftovers of a run are recognisable. */
  tenantPrefix?: string;
  /** Called after the suite with every tenant id it used, to drop their collections. */
  dropTenants?: (tenantIds: string[]) => Promise<void>;
}

/** A point of `tenantId`'s document with a hand-made vector; the id is the real pointId. */
export function contractPoint(tenantId: string, documentId: string, chunkIndex: number, vector: number[], overrides: Partial<PointPayload> = {}): VectorPoint {
  const payload: PointPayload = {
    tenantId,
    documentId,
    batchId: 'batch-1',
    version: 1,
    chunkIndex,
    text: `text of ${documentId} #${chunkIndex}`,
    filename: `${documentId}.pdf`,
    page: chunkIndex + 1,
    heading: null,
    headingPath: [],
    sheet: null,
    rowStart: null,
    rowEnd: null,
    ocrConfidence: null,
    charStart: chunkIndex * 100,
    charEnd: chunkIndex * 100 + 90,
    ...overrides,
  };
  return { id: pointId(tenantId, documentId, payload.version, chunkIndex), vector, payload };
}

/** Registers the contract suite `VectorStore contract: <name>`. */
export function describeVectorStoreContract(name: string, makeStore: MakeVectorStore, options: VectorStoreContractOptions = {}): void {
  describe(`VectorStore contract: ${name}`, () => {
    let store: VectorStore;
    const used: string[] = [];
    const prefix = options.tenantPrefix ?? 'ct';
    const runId = randomBytes(4).toString('hex');
    const tenant = (label: string): string => {
      const id = `${prefix}-${runId}-${label}`
        .toLowerCase()
        .replace(/[^a-z0-9_-]/g, '_')
        .slice(0, 63);
      used.push(id);
      return id;
    };
    const DIMS = 4;

    beforeAll(async () => {
      store = await makeStore();
    });

    afterAll(async () => {
      if (options.dropTenants) await options.dropTenants([...new Set(used)]);
      await store?.close();
    });

    it('reports healthy', async () => {
      const h = await store.health();
      expect(h.ok, h.detail).toBe(true);
    });

    it('answers empty for a tenant that has no collection yet', async () => {
      const t = tenant('missing');
      expect(await store.countAll(t)).toBe(0);
      expect(await store.countDocument(t, 'doc-a')).toBe(0);
      expect(await store.listDocumentPointIds(t, 'doc-a')).toEqual([]);
      expect(await store.search(t, [1, 0, 0, 0], 5)).toEqual([]);
      await expect(store.deleteDocument(t, 'doc-a')).resolves.toBeUndefined();
    });

    it('creates a collection idempotently and refuses a different vector size later', async () => {
      const t = tenant('ensure');
      await store.ensureCollection(t, DIMS);
      await store.ensureCollection(t, DIMS);
      await Promise.all([store.ensureCollection(t, DIMS), store.ensureCollection(t, DIMS)]);
      expect(await store.countAll(t)).toBe(0);
      await expect(store.ensureCollection(t, DIMS + 1)).rejects.toThrow();
      await expect(store.upsert(t, [contractPoint(t, 'doc-a', 0, [1, 0, 0, 0, 0])])).rejects.toThrow();
    });

    it('creates the collection on first upsert and round-trips every payload field', async () => {
      const t = tenant('payload');
      const p = contractPoint(t, 'doc-a', 0, [0.5, 0.5, 0, 0], {
        batchId: 'batch-7',
        version: 3,
        text: "Grüße — “quoted” 'single' \n newline",
        filename: 'report Q1.xlsx',
        page: null,
        heading: 'Intro',
        headingPath: ['Part 1 — “Basics”', 'Intro'],
        sheet: 'Sheet 1',
        rowStart: 2,
        rowEnd: 40,
        ocrConfidence: 73.25,
        charStart: 1_024,
        charEnd: 2_048,
      });
      await store.upsert(t, [p]);
      const [hit] = await store.search(t, [0.5, 0.5, 0, 0], 1);
      expect(hit.id).toBe(p.id);
      expect(hit.payload).toEqual(p.payload);
      expect(hit.score).toBeCloseTo(1, 4);
    });

    it('overwrites by id: a re-upsert never duplicates', async () => {
      const t = tenant('reupsert');
      const points = [0, 1, 2].map((i) => contractPoint(t, 'doc-a', i, [1, i, 0, 0]));
      await store.upsert(t, points);
      await store.upsert(t, points);
      const changed = points.map((p) => ({ ...p, payload: { ...p.payload, text: `new ${p.payload.chunkIndex}` } }));
      await store.upsert(t, changed);
      expect(await store.countAll(t)).toBe(3);
      expect(await store.countDocument(t, 'doc-a')).toBe(3);
      const hits = await store.search(t, [1, 0, 0, 0], 10);
      expect(hits.map((h) => h.payload.text).sort()).toEqual(['new 0', 'new 1', 'new 2']);
      // The same id twice in one batch: the last one wins, still one point.
      await store.upsert(t, [points[0], { ...points[0], payload: { ...points[0].payload, text: 'last' } }]);
      expect(await store.countAll(t)).toBe(3);
      expect((await store.search(t, [1, 0, 0, 0], 1))[0].payload.text).toBe('last');
    });

    it('ranks by cosine similarity, higher score = closer, and honours the limit', async () => {
      const t = tenant('rank');
      await store.upsert(t, [
        contractPoint(t, 'doc-a', 0, [0, 1, 0, 0]), // orthogonal: similarity 0
        contractPoint(t, 'doc-a', 1, [2, 0, 0, 0]), // same direction, other length: similarity 1
        contractPoint(t, 'doc-a', 2, [-1, 0, 0, 0]), // opposite: similarity -1
        contractPoint(t, 'doc-a', 3, [0.8, 0.6, 0, 0]), // similarity 0.8
      ]);
      const hits = await store.search(t, [1, 0, 0, 0], 10);
      expect(hits.map((h) => h.payload.chunkIndex)).toEqual([1, 3, 0, 2]);
      expect(hits.map((h) => h.score)).toEqual([expect.closeTo(1, 4), expect.closeTo(0.8, 4), expect.closeTo(0, 4), expect.closeTo(-1, 4)]);
      const top2 = await store.search(t, [1, 0, 0, 0], 2);
      expect(top2.map((h) => h.payload.chunkIndex)).toEqual([1, 3]);
      expect(await store.search(t, [1, 0, 0, 0], 0)).toEqual([]);
    });

    it('filters by document ids and batch ids before ranking', async () => {
      const t = tenant('filter');
      await store.upsert(t, [
        contractPoint(t, 'doc-a', 0, [1, 0, 0, 0], { batchId: 'b1' }),
        contractPoint(t, 'doc-b', 0, [0.9, 0.1, 0, 0], { batchId: 'b1' }),
        contractPoint(t, 'doc-c', 0, [0.8, 0.2, 0, 0], { batchId: 'b2' }),
        contractPoint(t, 'doc-d', 0, [0, 1, 0, 0], { batchId: 'b3' }),
      ]);
      const q = [1, 0, 0, 0];
      const docs = (hits: { payload: PointPayload }[]) => hits.map((h) => h.payload.documentId);
      expect(docs(await store.search(t, q, 10, { documentIds: ['doc-c', 'doc-d'] }))).toEqual(['doc-c', 'doc-d']);
      // The filter applies before the limit: the best match outside the filter does not eat the slot.
      expect(docs(await store.search(t, q, 1, { documentIds: ['doc-d'] }))).toEqual(['doc-d']);
      expect(docs(await store.search(t, q, 10, { batchIds: ['b1'] }))).toEqual(['doc-a', 'doc-b']);
      expect(docs(await store.search(t, q, 10, { batchIds: ['b1', 'b2'], documentIds: ['doc-b', 'doc-c', 'doc-d'] }))).toEqual(['doc-b', 'doc-c']);
      expect(docs(await store.search(t, q, 10, { documentIds: ['doc-a', 'doc-a'] }))).toEqual(['doc-a']);
      expect(docs(await store.search(t, q, 10, { documentIds: ['nope'] }))).toEqual([]);
      // An empty id list restricts to nothing; an absent one does not restrict.
      expect(await store.search(t, q, 10, { documentIds: [] })).toEqual([]);
      expect(docs(await store.search(t, q, 10, {}))).toHaveLength(4);
    });

    it('holds the listed documents to one version each, before ranking, in dense and keyword search', async () => {
      const t = tenant('versions');
      await store.upsert(t, [
        // doc-a: version 1 active, version 2 being built (its points are the best matches).
        contractPoint(t, 'doc-a', 0, [0.9, 0.1, 0, 0], { version: 1, text: 'gasket seal v1' }),
        contractPoint(t, 'doc-a', 0, [1, 0, 0, 0], { version: 2, text: 'gasket seal v2' }),
        contractPoint(t, 'doc-a', 1, [1, 0.01, 0, 0], { version: 2, text: 'gasket seal v2 more' }),
        // doc-b: version 3 just activated, version 2 not removed yet.
        contractPoint(t, 'doc-b', 0, [0.8, 0.2, 0, 0], { version: 3, text: 'gasket seal v3' }),
        contractPoint(t, 'doc-b', 0, [0.95, 0.05, 0, 0], { version: 2, text: 'gasket seal old' }),
        // doc-c: not listed, so not restricted.
        contractPoint(t, 'doc-c', 0, [0.7, 0.3, 0, 0], { version: 5, text: 'gasket seal c' }),
      ]);
      const q = [1, 0, 0, 0];
      const onlyVersions = [
        { documentId: 'doc-a', version: 1 },
        { documentId: 'doc-b', version: 3 },
      ];
      const seen = (hits: { payload: PointPayload }[]) => hits.map((h) => `${h.payload.documentId}@${h.payload.version}`);
      expect(seen(await store.search(t, q, 10, { onlyVersions }))).toEqual(['doc-a@1', 'doc-b@3', 'doc-c@5']);
      // Before the limit: the versions held back do not take the slot.
      expect(seen(await store.search(t, q, 1, { onlyVersions }))).toEqual(['doc-a@1']);
      expect(seen(await store.search(t, q, 10, { onlyVersions, documentIds: ['doc-b'] }))).toEqual(['doc-b@3']);
      expect(seen(await store.keywordSearch(t, 'gasket seal', 10, { onlyVersions })).sort()).toEqual(['doc-a@1', 'doc-b@3', 'doc-c@5']);
      expect(seen(await store.keywordSearch(t, 'gasket', 1, { onlyVersions, batchIds: ['batch-1'], documentIds: ['doc-a'] }))).toEqual(['doc-a@1']);
      // An empty list restricts nothing.
      expect(await store.search(t, q, 10, { onlyVersions: [] })).toHaveLength(6);
      await expect(store.search(t, q, 10, { onlyVersions: [{ documentId: "doc-a' OR '1'='1", version: 1 }] })).rejects.toThrow(/invalid document id/);
    });

    it('rejects filter and document ids that could carry query syntax', async () => {
      const t = tenant('inject');
      await store.upsert(t, [contractPoint(t, 'doc-a', 0, [1, 0, 0, 0])]);
      const evil = "doc-a' OR '1'='1";
      await expect(store.search(t, [1, 0, 0, 0], 5, { documentIds: [evil] })).rejects.toThrow(/invalid document id/);
      await expect(store.search(t, [1, 0, 0, 0], 5, { batchIds: ['b"1'] })).rejects.toThrow(/invalid batch id/);
      await expect(store.deleteDocument(t, evil)).rejects.toThrow(/invalid document id/);
      await expect(store.countDocument(t, evil)).rejects.toThrow(/invalid document id/);
      await expect(store.listDocumentPointIds(t, evil)).rejects.toThrow(/invalid document id/);
      expect(await store.countAll(t)).toBe(1);
    });

    it('rejects points that are malformed or belong to another tenant', async () => {
      const t = tenant('badpoints');
      const other = tenant('badpoints-other');
      const good = contractPoint(t, 'doc-a', 0, [1, 0, 0, 0]);
      await expect(store.upsert(t, [contractPoint(other, 'doc-a', 0, [1, 0, 0, 0])])).rejects.toThrow(/tenant/);
      await expect(store.upsert(t, [{ ...good, id: 'not-a-uuid' }])).rejects.toThrow(/UUID/);
      await expect(store.upsert(t, [good, contractPoint(t, 'doc-a', 1, [1, 0, 0])])).rejects.toThrow(/dimensions/);
      await expect(store.upsert(t, [{ ...good, payload: { ...good.payload, documentId: "x'y" } }])).rejects.toThrow(/invalid document id/);
      await expect(store.upsert(t, [])).resolves.toBeUndefined();
      expect(await store.countAll(t)).toBe(0);
    });

    it('rejects invalid tenant ids on every method', async () => {
      for (const bad of ['Bad Tenant', '../etc', 'a/b', '', "x' OR 1=1"]) {
        await expect(store.ensureCollection(bad, DIMS), bad).rejects.toThrow(/invalid tenant id/);
        await expect(store.upsert(bad, [contractPoint('ok', 'doc-a', 0, [1, 0, 0, 0])])).rejects.toThrow(/invalid tenant id/);
        await expect(store.search(bad, [1, 0, 0, 0], 1)).rejects.toThrow(/invalid tenant id/);
        await expect(store.keywordSearch(bad, 'words', 1)).rejects.toThrow(/invalid tenant id/);
        await expect(store.documentChunks(bad, 'doc-a', 1, 0, 5)).rejects.toThrow(/invalid tenant id/);
        await expect(store.deleteDocument(bad, 'doc-a')).rejects.toThrow(/invalid tenant id/);
        await expect(store.countDocument(bad, 'doc-a')).rejects.toThrow(/invalid tenant id/);
        await expect(store.countAll(bad)).rejects.toThrow(/invalid tenant id/);
        await expect(store.listDocumentPointIds(bad, 'doc-a')).rejects.toThrow(/invalid tenant id/);
      }
    });

    it('isolates tenants: one never sees, counts or deletes another', async () => {
      const a = tenant('iso-a');
      const b = tenant('iso-b');
      await store.upsert(a, [contractPoint(a, 'shared-doc', 0, [1, 0, 0, 0], { text: 'A secret' })]);
      await store.upsert(b, [contractPoint(b, 'shared-doc', 0, [1, 0, 0, 0], { text: 'B secret' }), contractPoint(b, 'shared-doc', 1, [0.9, 0.1, 0, 0], { text: 'B secret 2' })]);
      const hitsA = await store.search(a, [1, 0, 0, 0], 10);
      expect(hitsA.map((h) => h.payload.text)).toEqual(['A secret']);
      expect(hitsA.every((h) => h.payload.tenantId === a)).toBe(true);
      const hitsB = await store.search(b, [1, 0, 0, 0], 10, { documentIds: ['shared-doc'] });
      expect(hitsB.map((h) => h.payload.text)).toEqual(['B secret', 'B secret 2']);
      expect(await store.countAll(a)).toBe(1);
      expect(await store.countDocument(b, 'shared-doc')).toBe(2);
      expect(await store.listDocumentPointIds(a, 'shared-doc')).toEqual([pointId(a, 'shared-doc', 1, 0)]);
      await store.deleteDocument(a, 'shared-doc');
      expect(await store.countAll(a)).toBe(0);
      expect(await store.countDocument(b, 'shared-doc')).toBe(2);
    });

    it('deletes every point (all versions) of one document and nothing else', async () => {
      const t = tenant('delete');
      await store.upsert(t, [
        ...[0, 1, 2].map((i) => contractPoint(t, 'doc-a', i, [1, i, 0, 0], { version: 1 })),
        ...[0, 1].map((i) => contractPoint(t, 'doc-a', i, [1, i, 1, 0], { version: 2 })),
        ...[0, 1].map((i) => contractPoint(t, 'doc-b', i, [0, 1, i, 0])),
      ]);
      expect(await store.countDocument(t, 'doc-a')).toBe(5);
      expect(await store.countAll(t)).toBe(7);
      await store.deleteDocument(t, 'doc-a');
      expect(await store.countDocument(t, 'doc-a')).toBe(0);
      expect(await store.listDocumentPointIds(t, 'doc-a')).toEqual([]);
      expect(await store.countDocument(t, 'doc-b')).toBe(2);
      expect(await store.countAll(t)).toBe(2);
      await store.deleteDocument(t, 'doc-a'); // deleting again is a no-op
      expect(await store.countAll(t)).toBe(2);
    });

    it('deletes and counts every version of a document but one, leaving that one and other documents alone', async () => {
      const t = tenant('del-except');
      await store.upsert(t, [
        contractPoint(t, 'doc-a', 0, [1, 0, 0, 0], { version: 1 }),
        contractPoint(t, 'doc-a', 1, [1, 0, 0, 0], { version: 1 }),
        contractPoint(t, 'doc-a', 0, [1, 0, 0, 0], { version: 2 }),
        contractPoint(t, 'doc-a', 0, [1, 0, 0, 0], { version: 3 }),
        contractPoint(t, 'doc-b', 0, [1, 0, 0, 0], { version: 1 }),
      ]);
      expect(await store.countDocument(t, 'doc-a', 2)).toBe(3);
      await store.deleteDocument(t, 'doc-a', 2);
      expect(await store.countDocument(t, 'doc-a', 2)).toBe(0);
      expect(await store.countDocument(t, 'doc-a')).toBe(1);
      expect((await store.documentChunks(t, 'doc-a', 2, 0, 10)).map((c) => c.chunkIndex)).toEqual([0]);
      expect(await store.countDocument(t, 'doc-b')).toBe(1);
      await expect(store.deleteDocument(t, "doc-a' OR '1'='1", 1)).rejects.toThrow(/invalid document id/);
    });

    it('lists exactly the point ids of a document', async () => {
      const t = tenant('list');
      const docA = [0, 1, 2, 3, 4].map((i) => contractPoint(t, 'doc-a', i, [1, i, 0, 0]));
      const docA2 = [0, 1].map((i) => contractPoint(t, 'doc-a', i, [1, i, 0, 0], { version: 2 }));
      await store.upsert(t, [...docA, ...docA2, contractPoint(t, 'doc-b', 0, [0, 1, 0, 0])]);
      const ids = await store.listDocumentPointIds(t, 'doc-a');
      expect([...ids].sort()).toEqual([...docA, ...docA2].map((p) => p.id).sort());
    });

    it('lists every point of a tenant as references, and deletes points by id', async () => {
      const t = tenant('refs');
      expect(await store.listPointRefs(t)).toEqual([]);
      await store.deletePoints(t, [contractPoint(t, 'doc-a', 0, [1, 0, 0, 0]).id]); // no collection: no-op
      const points = [
        ...[0, 1, 2].map((i) => contractPoint(t, 'doc-a', i, [1, i, 0, 0])),
        contractPoint(t, 'doc-a', 0, [1, 0, 1, 0], { version: 2 }),
        contractPoint(t, 'doc-b', 0, [0, 1, 0, 0]),
      ];
      await store.upsert(t, points);
      await store.upsert(tenant('refs-other'), [contractPoint(tenant('refs-other'), 'doc-z', 0, [0, 0, 1, 0])]);
      const refs = await store.listPointRefs(t);
      const key = (r: { documentId: string; version: number; chunkIndex: number }) => `${r.documentId}/v${r.version}/${r.chunkIndex}`;
      expect(refs.map(key).sort()).toEqual(['doc-a/v1/0', 'doc-a/v1/1', 'doc-a/v1/2', 'doc-a/v2/0', 'doc-b/v1/0']);
      expect(new Set(refs.map((r) => r.id))).toEqual(new Set(points.map((p) => p.id)));

      await store.deletePoints(t, [points[1].id, points[3].id, contractPoint(t, 'doc-x', 0, [1, 0, 0, 0]).id]);
      expect((await store.listPointRefs(t)).map(key).sort()).toEqual(['doc-a/v1/0', 'doc-a/v1/2', 'doc-b/v1/0']);
      expect(await store.countAll(tenant('refs-other'))).toBe(1);
      await expect(store.deletePoints(t, ["x' OR 1=1 --"])).rejects.toThrow();
    });

    it('compacts without losing a point, and compacting an empty tenant is harmless', async () => {
      const t = tenant('compact');
      expect(typeof (await store.compact(t))).toBe('string');
      for (let i = 0; i < 5; i++) await store.upsert(t, [contractPoint(t, `doc-${i}`, 0, [1, i, 0, 0])]);
      await store.deleteDocument(t, 'doc-0');
      expect(typeof (await store.compact(t))).toBe('string');
      expect(await store.countAll(t)).toBe(4);
      const hits = await store.search(t, [1, 4, 0, 0], 1);
      expect(hits[0].payload.documentId).toBe('doc-4');
    });

    describe('keyword search', () => {
      const words = (hits: { payload: PointPayload }[]) => hits.map((h) => h.payload.text);

      it('answers empty for a tenant without a collection, a query without words, an empty filter or a zero limit', async () => {
        const t = tenant('kw-empty');
        expect(await store.keywordSearch(t, 'anything', 5)).toEqual([]);
        await store.upsert(t, [contractPoint(t, 'doc-a', 0, [1, 0, 0, 0], { text: 'the pump is red' })]);
        expect(await store.keywordSearch(t, ' ?! — ', 5)).toEqual([]);
        expect(await store.keywordSearch(t, 'pump', 5, { documentIds: [] })).toEqual([]);
        expect(await store.keywordSearch(t, 'pump', 0)).toEqual([]);
        expect(await store.keywordSearch(t, 'absent words only', 5)).toEqual([]);
      });

      it('finds an exact part number among near-identical ones, ranked first', async () => {
        const t = tenant('kw-ident');
        const texts = [
          'Replacement pump XR-7735-C ships from the north warehouse.',
          'Replacement pump XR-7734-B ships from the south warehouse.',
          'Valve XR-7734-D is discontinued; use the pump instead.',
          'Replacement pump ZQ-1180-B ships from the east warehouse.',
        ];
        await store.upsert(
          t,
          texts.map((text, i) => contractPoint(t, `doc-${i}`, 0, [1, i, 0, 0], { text })),
        );
        const hits = await store.keywordSearch(t, 'XR-7734-B', 10);
        expect(hits[0].payload.text).toBe(texts[1]);
        expect(hits.map((h) => h.score)).toEqual([...hits.map((h) => h.score)].sort((a, b) => b - a));
        expect(hits[0].score).toBeGreaterThan(hits[1].score);
        expect(hits[0].payload).toEqual(contractPoint(t, 'doc-1', 0, [1, 1, 0, 0], { text: texts[1] }).payload);
      });

      it('weighs rare words over common ones and ignores case and accents', async () => {
        const t = tenant('kw-weight');
        await store.upsert(t, [
          contractPoint(t, 'doc-a', 0, [1, 0, 0, 0], { text: 'Il porto della città è chiuso.' }),
          contractPoint(t, 'doc-b', 0, [0, 1, 0, 0], { text: 'Il porto riapre lunedì.' }),
          contractPoint(t, 'doc-c', 0, [0, 0, 1, 0], { text: 'Il faro resta acceso.' }),
          contractPoint(t, 'doc-d', 0, [0, 0, 0, 1], { text: 'Il mercato del pesce.' }),
        ]);
        // "il" is in every chunk and "porto" in two: the one rare word decides.
        expect(words(await store.keywordSearch(t, 'IL PORTO CITTA', 1))).toEqual(['Il porto della città è chiuso.']);
        expect(words(await store.keywordSearch(t, 'lunedi', 5))).toEqual(['Il porto riapre lunedì.']);
      });

      it('applies filters before the limit and stays within the tenant', async () => {
        const t = tenant('kw-filter');
        const other = tenant('kw-filter-other');
        await store.upsert(t, [
          contractPoint(t, 'doc-a', 0, [1, 0, 0, 0], { batchId: 'b1', text: 'saffron saffron saffron from Navelli' }),
          contractPoint(t, 'doc-b', 0, [1, 0, 0, 0], { batchId: 'b2', text: 'saffron risotto' }),
        ]);
        await store.upsert(other, [contractPoint(other, 'doc-z', 0, [1, 0, 0, 0], { text: 'saffron secret of the other tenant' })]);
        const docs = (hits: { payload: PointPayload }[]) => hits.map((h) => h.payload.documentId);
        expect(docs(await store.keywordSearch(t, 'saffron', 1, { documentIds: ['doc-b'] }))).toEqual(['doc-b']);
        expect(docs(await store.keywordSearch(t, 'saffron', 1, { batchIds: ['b2'] }))).toEqual(['doc-b']);
        expect(docs(await store.keywordSearch(t, 'saffron', 10)).sort()).toEqual(['doc-a', 'doc-b']);
        expect((await store.keywordSearch(t, 'secret other tenant', 10)).every((h) => h.payload.tenantId === t)).toBe(true);
        await expect(store.keywordSearch(t, 'saffron', 5, { documentIds: ["doc-a' OR '1'='1"] })).rejects.toThrow(/invalid document id/);
      });

      it('treats query syntax as plain words', async () => {
        const t = tenant('kw-syntax');
        await store.upsert(t, [contractPoint(t, 'doc-a', 0, [1, 0, 0, 0], { text: 'quotes and operators are words here' })]);
        for (const q of ['"quotes', 'operators AND NOT words', 'quotes*', "words') OR 1=1 --", 'field:quotes', '(words', '\\ words ~2', 'ħ ∑ 😀 words']) {
          const hits = await store.keywordSearch(t, q, 5);
          expect(words(hits), q).toEqual(['quotes and operators are words here']);
        }
      });

      it('follows overwrites and deletes', async () => {
        const t = tenant('kw-update');
        const p = contractPoint(t, 'doc-a', 0, [1, 0, 0, 0], { text: 'old wording about anchors' });
        await store.upsert(t, [p, contractPoint(t, 'doc-b', 0, [0, 1, 0, 0], { text: 'anchors and chains' })]);
        await store.upsert(t, [{ ...p, payload: { ...p.payload, text: 'new wording about sails' } }]);
        expect(words(await store.keywordSearch(t, 'old', 5))).toEqual([]);
        expect(words(await store.keywordSearch(t, 'sails', 5))).toEqual(['new wording about sails']);
        await store.deleteDocument(t, 'doc-b');
        expect(words(await store.keywordSearch(t, 'anchors', 5))).toEqual([]);
      });
    });

    describe('index generations', () => {
      it('addresses generation 1 as the store itself and refuses invalid generations', () => {
        expect(store.forGeneration(1)).toBe(store);
        expect(store.forGeneration(2)).toBe(store.forGeneration(2));
        expect(store.forGeneration(2).forGeneration(1)).toBe(store);
        for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => store.forGeneration(bad), String(bad)).toThrow(/invalid index generation/);
      });

      it('keeps generation 2 in a separate collection: points, counts, dense and keyword search, vector size', async () => {
        const t = tenant('gen-separate');
        const g2 = store.forGeneration(2);
        await store.upsert(t, [contractPoint(t, 'doc-a', 0, [1, 0, 0, 0], { text: 'pump housing G1-ALPHA' }), contractPoint(t, 'doc-a', 1, [0, 1, 0, 0])]);
        // Another model: another vector size, in the same tenant's next generation.
        await g2.upsert(t, [contractPoint(t, 'doc-b', 0, [1, 0, 0, 0, 0, 0], { text: 'pump housing G2-BETA' })]);
        expect(await store.countAll(t)).toBe(2);
        expect(await g2.countAll(t)).toBe(1);
        expect(await store.countDocument(t, 'doc-b')).toBe(0);
        expect(await g2.countDocument(t, 'doc-a')).toBe(0);
        expect((await store.search(t, [1, 0, 0, 0], 10)).map((h) => h.payload.documentId)).toEqual(['doc-a', 'doc-a']);
        expect((await g2.search(t, [1, 0, 0, 0, 0, 0], 10)).map((h) => h.payload.documentId)).toEqual(['doc-b']);
        expect((await store.keywordSearch(t, 'pump housing', 10)).map((h) => h.payload.documentId)).toEqual(['doc-a']);
        expect((await g2.keywordSearch(t, 'pump housing', 10)).map((h) => h.payload.documentId)).toEqual(['doc-b']);
        expect(await g2.keywordSearch(t, 'G1-ALPHA', 10)).toEqual([]);
        expect((await g2.listPointRefs(t)).map((r) => r.documentId)).toEqual(['doc-b']);
        expect(await g2.documentChunks(t, 'doc-b', 1, 0, 5)).toHaveLength(1);
        expect(await g2.documentChunks(t, 'doc-a', 1, 0, 5)).toEqual([]);
        // Each generation keeps its own vector size.
        await expect(g2.upsert(t, [contractPoint(t, 'doc-c', 0, [1, 0, 0, 0])])).rejects.toThrow();
        await expect(store.ensureCollection(t, 6)).rejects.toThrow();
        await g2.ensureCollection(t, 6);
        // Deletes stay in their generation.
        await g2.deleteDocument(t, 'doc-a');
        expect(await store.countDocument(t, 'doc-a')).toBe(2);
        await store.deleteDocument(t, 'doc-b');
        expect(await g2.countDocument(t, 'doc-b')).toBe(1);
        // A third generation of the tenant is separate from both, and another tenant's g2 from this one's.
        expect(await store.forGeneration(3).countAll(t)).toBe(0);
        const other = tenant('gen-other');
        expect(await g2.countAll(other)).toBe(0);
      });

      it('drops only the one generation of the one tenant, idempotently, and can create it again', async () => {
        const t = tenant('gen-drop');
        const neighbour = tenant('gen-drop-n');
        const g2 = store.forGeneration(2);
        await store.upsert(t, [contractPoint(t, 'doc-a', 0, [1, 0, 0, 0])]);
        await g2.upsert(t, [contractPoint(t, 'doc-a', 0, [0, 1, 0, 0]), contractPoint(t, 'doc-a', 1, [0, 0, 1, 0])]);
        await g2.upsert(neighbour, [contractPoint(neighbour, 'doc-a', 0, [1, 0, 0, 0])]);

        await g2.dropCollection(t);
        expect(await g2.countAll(t)).toBe(0);
        expect(await g2.search(t, [0, 1, 0, 0], 5)).toEqual([]);
        expect(await g2.keywordSearch(t, 'text', 5)).toEqual([]);
        expect(await g2.listPointRefs(t)).toEqual([]);
        expect(await store.countAll(t)).toBe(1);
        expect(await g2.countAll(neighbour)).toBe(1);
        // Idempotent, also for a collection that never existed.
        await g2.dropCollection(t);
        await store.forGeneration(5).dropCollection(t);

        // Created again from scratch, with another vector size: nothing of the dropped one is remembered.
        await g2.upsert(t, [contractPoint(t, 'doc-z', 0, [1, 0, 0, 0, 0, 0, 0, 0], { text: 'fresh start' })]);
        expect(await g2.countAll(t)).toBe(1);
        expect((await g2.search(t, [1, 0, 0, 0, 0, 0, 0, 0], 5)).map((h) => h.payload.documentId)).toEqual(['doc-z']);
        expect((await g2.keywordSearch(t, 'fresh', 5)).map((h) => h.payload.documentId)).toEqual(['doc-z']);

        // Generation 1 can be dropped the same way (a retired space), leaving the next one.
        await store.dropCollection(t);
        expect(await store.countAll(t)).toBe(0);
        expect(await g2.countAll(t)).toBe(1);
        await store.ensureCollection(t, DIMS);
        expect(await store.countAll(t)).toBe(0);
      });

      it('drops a collection right after concurrent writes to it, and creates it again', async () => {
        const t = tenant('gen-drop-busy');
        const g3 = store.forGeneration(3);
        await Promise.all([0, 1, 2].map((i) => g3.upsert(t, [contractPoint(t, `doc-${i}`, 0, [1, i, 0, 0])])));
        await g3.dropCollection(t);
        expect(await g3.countAll(t)).toBe(0);
        expect(await g3.listDocumentPointIds(t, 'doc-0')).toEqual([]);
        await g3.upsert(t, [contractPoint(t, 'doc-x', 0, [1, 0, 0, 0])]);
        expect(await g3.countAll(t)).toBe(1);
      });

      it('rejects an invalid tenant id when dropping', async () => {
        await expect(store.forGeneration(2).dropCollection('Bad Tenant')).rejects.toThrow(/invalid tenant id/);
      });
    });

    it('reads one version of a document a page of chunks at a time, in order, with every payload field', async () => {
      const t = tenant('chunks');
      expect(await store.documentChunks(t, 'doc-a', 1, 0, 10)).toEqual([]);
      const v1 = [4, 0, 3, 1, 2].map((i) => contractPoint(t, 'doc-a', i, [1, i, 0, 0], { headingPath: ['Manual', `Part ${i}`], ocrConfidence: 50 + i }));
      const v2 = [0, 1].map((i) => contractPoint(t, 'doc-a', i, [1, i, 1, 0], { version: 2 }));
      await store.upsert(t, [...v1, ...v2, contractPoint(t, 'doc-b', 0, [0, 1, 0, 0])]);
      const page = await store.documentChunks(t, 'doc-a', 1, 1, 3);
      expect(page.map((c) => c.chunkIndex)).toEqual([1, 2, 3]);
      expect(page[0]).toEqual(v1.find((p) => p.payload.chunkIndex === 1)!.payload);
      expect((await store.documentChunks(t, 'doc-a', 1, 3, 10)).map((c) => c.chunkIndex)).toEqual([3, 4]);
      expect((await store.documentChunks(t, 'doc-a', 2, 0, 10)).map((c) => [c.version, c.chunkIndex])).toEqual([
        [2, 0],
        [2, 1],
      ]);
      expect(await store.documentChunks(t, 'doc-a', 1, 5, 10)).toEqual([]);
      expect(await store.documentChunks(t, 'doc-a', 1, 0, 0)).toEqual([]);
      await expect(store.documentChunks(t, "doc-a' OR 1=1", 1, 0, 5)).rejects.toThrow(/invalid document id/);
      await expect(store.documentChunks(t, 'doc-a', -1, 0, 5)).rejects.toThrow(/invalid version/);
      await expect(store.documentChunks(t, 'doc-a', 1, 0.5, 5)).rejects.toThrow(/invalid chunk index/);
    });

    it('keeps every point when upserts to one tenant run concurrently', async () => {
      const t = tenant('concurrent');
      const batches = Array.from({ length: 8 }, (_, b) => Array.from({ length: 25 }, (_, i) => contractPoint(t, `doc-${b}`, i, [1, b, i, 0.5], { batchId: `b${b}` })));
      // Each batch is sent twice at once as well: the concurrent re-insert of a new id must not duplicate.
      await Promise.all([...batches, ...batches].map((points) => store.upsert(t, points)));
      expect(await store.countAll(t)).toBe(200);
      for (let b = 0; b < 8; b++) expect(await store.countDocument(t, `doc-${b}`)).toBe(25);
    });
  });
}
