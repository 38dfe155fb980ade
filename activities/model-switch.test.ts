import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Catalog } from '../adapters/catalog.js';
import { contractDocument, outcome } from '../adapters/catalog.contract.js';
import { EmbeddingRequestError } from '../adapters/openai-embedder.js';
import type { Embedder } from '../adapters/embedder.js';
import { createTenantSpaces, modelSet, spaceRoutedStore, type TenantSpaces } from '../adapters/index-spaces.js';
import { createLanceDbStore } from '../adapters/lancedb-store.js';
import { createSqliteCatalog } from '../adapters/sqlite-catalog.js';
import { contractPoint } from '../adapters/vector-store.contract.js';
import type { VectorStore } from '../adapters/vector-store.js';
import type { ModelSwitchActivities } from './contracts.js';
import { createModelSwitchActivities } from './model-switch.js';

/** A model whose vectors have `dimensions` components; it refuses (HTTP 400) any text containing `refuse`. */
const model = (name: string, dimensions: number, refuse?: string): Embedder => ({
  model: name,
  dimensions: async () => dimensions,
  health: async () => ({ ok: true, detail: name }),
  embed: async (texts) => {
    if (refuse && texts.some((t) => t.includes(refuse))) throw new EmbeddingRequestError(400, 'refused');
    return texts.map((_, i) => Array.from({ length: dimensions }, (_, d) => (d === 0 ? 1 : i)));
  },
});

describe('embedding-model switch steps', () => {
  let dir: string;
  let catalog: Catalog;
  let base: VectorStore;
  let spaces: TenantSpaces;
  let steps: ModelSwitchActivities;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'docflow-switch-'));
    catalog = createSqliteCatalog(path.join(dir, 'catalog.sqlite'));
    base = await createLanceDbStore({ dir: path.join(dir, 'vectors') });
    spaces = createTenantSpaces({ catalog, vectors: base, models: modelSet(model('first', 3), [model('second', 5), model('picky', 4, 'secret')]) });
    steps = createModelSwitchActivities({ catalog, vectors: spaceRoutedStore(base, spaces), spaces });
    await catalog.ensureTenant('t1');
    await catalog.createBatch({ id: 'b1', tenantId: 't1', workflowId: 'w1', documentCount: 3, idempotencyKey: null }, [
      contractDocument('d1'),
      contractDocument('d2'),
      contractDocument('d3'),
    ]);
    await catalog.updateDocuments('t1', [outcome('d1', 'indexed', { chunks: 2 }), outcome('d2', 'indexed', { chunks: 1 }), outcome('d3', 'failed')]);
    await base.upsert('t1', [
      contractPoint('t1', 'd1', 0, [1, 0, 0]),
      contractPoint('t1', 'd1', 1, [1, 1, 0]),
      contractPoint('t1', 'd2', 0, [0, 1, 0], { text: 'the secret passage' }),
    ]);
  });
  afterEach(async () => {
    await base.close();
    await catalog.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('builds the new space from the stored chunks, verifies it, prunes it, swaps, and drops the old one', async () => {
    const opened = await steps.openIndexSpace({ tenantId: 't1', model: 'second', workflowId: 'switch-1' });
    expect(opened).toEqual({ generation: 2, previousGeneration: 1, previousModel: 'first', documents: 2 });
    // Pages in id order; a page that is full says where the next one starts.
    const page1 = await steps.copyToIndexSpace({ tenantId: 't1', generation: 2, after: null, limit: 2, verify: false });
    expect(page1).toEqual({ next: 'd2', documents: 2, copied: 2, failed: [] });
    expect(await steps.copyToIndexSpace({ tenantId: 't1', generation: 2, after: 'd2', limit: 2, verify: false })).toEqual({ next: null, documents: 0, copied: 0, failed: [] });
    const g2 = base.forGeneration(2);
    // Same ids, versions and payloads; the new model's vectors.
    expect((await g2.listPointRefs('t1')).map((r) => r.id).sort()).toEqual((await base.listPointRefs('t1')).map((r) => r.id).sort());
    expect((await g2.documentChunks('t1', 'd2', 1, 0, 10))[0].text).toBe('the secret passage');
    expect(await g2.search('t1', [1, 0, 0, 0, 0], 5)).toHaveLength(3);

    // Verification copies nothing when the space is complete, and completes a document that is not.
    expect(await steps.copyToIndexSpace({ tenantId: 't1', generation: 2, after: null, limit: 10, verify: true })).toMatchObject({ copied: 0 });
    await g2.deleteDocument('t1', 'd1');
    expect(await steps.copyToIndexSpace({ tenantId: 't1', generation: 2, after: null, limit: 10, verify: true })).toMatchObject({ copied: 1 });
    expect(await g2.countDocument('t1', 'd1')).toBe(2);

    // Points the catalog does not back are pruned.
    await g2.upsert('t1', [contractPoint('t1', 'gone', 0, [1, 0, 0, 0, 0]), contractPoint('t1', 'd3', 0, [1, 0, 0, 0, 0])]);
    expect(await steps.pruneIndexSpace({ tenantId: 't1', generation: 2 })).toEqual({ removed: 2 });
    expect(await steps.pruneIndexSpace({ tenantId: 't1', generation: 2 })).toEqual({ removed: 0 });

    await steps.activateIndexSpace({ tenantId: 't1', generation: 2 });
    await steps.activateIndexSpace({ tenantId: 't1', generation: 2 }); // a retry after it landed
    expect((await spaces.active('t1')).model).toBe('second');
    // Until the old space is dropped, deletes still reach it.
    expect((await spaces.holding('t1')).map((s) => s.generation)).toEqual([2, 1]);
    await steps.dropIndexSpace({ tenantId: 't1', generation: 1 });
    expect(await base.countAll('t1')).toBe(0);
    expect((await catalog.listIndexSpaces('t1')).map((s) => `${s.generation}:${s.state}`)).toEqual(['1:retired', '2:active']);
    await expect(steps.dropIndexSpace({ tenantId: 't1', generation: 2 })).rejects.toThrow(/serves search/);
  });

  it('reports a document the new model refuses instead of throwing, and refuses an unknown or current model', async () => {
    await expect(steps.openIndexSpace({ tenantId: 't1', model: 'nope', workflowId: 'switch-1' })).rejects.toThrow(/not configured/);
    await expect(steps.openIndexSpace({ tenantId: 't1', model: 'first', workflowId: 'switch-1' })).rejects.toThrow(/already uses/);
    const { generation } = await steps.openIndexSpace({ tenantId: 't1', model: 'picky', workflowId: 'switch-1' });
    const out = await steps.copyToIndexSpace({ tenantId: 't1', generation, after: null, limit: 10, verify: false });
    expect(out).toMatchObject({ copied: 1, failed: [{ documentId: 'd2', filename: 'd2.txt' }] });
    expect(out.failed[0].reason).toMatch(/rejected/);
  });

  it('finds its own space again on a retry, and clears what a terminated switch left behind', async () => {
    const first = await steps.openIndexSpace({ tenantId: 't1', model: 'second', workflowId: 'switch-1' });
    expect(await steps.openIndexSpace({ tenantId: 't1', model: 'second', workflowId: 'switch-1' })).toEqual(first);
    await steps.copyToIndexSpace({ tenantId: 't1', generation: first.generation, after: null, limit: 10, verify: false });
    // Another run of the tenant's switch workflow can only start once this one has ended.
    const next = await steps.openIndexSpace({ tenantId: 't1', model: 'picky', workflowId: 'switch-2' });
    expect(next.generation).toBe(3);
    expect(await base.forGeneration(2).countAll('t1')).toBe(0);
    expect((await catalog.listIndexSpaces('t1')).map((s) => `${s.generation}:${s.state}`)).toEqual(['1:active', '2:abandoned', '3:building']);
  });
});
