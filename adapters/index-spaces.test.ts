import { describe, expect, it } from 'vitest';
import type { IndexSpaceRecord } from './catalog.js';
import type { Embedder } from './embedder.js';
import { createTenantSpaces, modelSet, spaceRoutedStore } from './index-spaces.js';
import type { VectorStore } from './vector-store.js';

const embedder = (model: string): Embedder => ({ model, dimensions: async () => 3, embed: async (t) => t.map(() => [1, 0, 0]), health: async () => ({ ok: true, detail: model }) });

/** A store whose every generation records the calls it gets, as `<generation>:<method>`. */
function recordingStores() {
  const calls: string[] = [];
  const view = (generation: number): VectorStore =>
    new Proxy({} as VectorStore, {
      get(_target, method: string) {
        // Not a promise: async functions returning a store must not try to resolve it.
        if (method === 'then') return undefined;
        if (method === 'forGeneration') return (g: number) => view(g);
        return async () => {
          calls.push(`${generation}:${method}`);
          return method === 'countDocument' ? generation : method === 'compact' ? `compacted ${generation}` : [];
        };
      },
    });
  return { base: view(1), calls };
}

const row = (generation: number, model: string, state: IndexSpaceRecord['state']): IndexSpaceRecord => ({
  tenantId: 't1',
  generation,
  model,
  dimensions: 3,
  state,
  workflowId: generation === 1 ? null : `switch-${generation}`,
  createdAt: '2026-12-07T00:00:00Z',
  activatedAt: null,
});

function spacesWith(rows: IndexSpaceRecord[]) {
  const { base, calls } = recordingStores();
  const models = modelSet(embedder('default'), [embedder('other'), embedder('third')]);
  const spaces = createTenantSpaces({ catalog: { listIndexSpaces: async () => rows }, vectors: base, models });
  return { spaces, routed: spaceRoutedStore(base, spaces), calls };
}

describe('index spaces', () => {
  it('gives a tenant that never switched generation 1 with the default model', async () => {
    const { spaces } = spacesWith([]);
    const active = await spaces.active('t1');
    expect([active.generation, active.model, active.state, active.embedder.model]).toEqual([1, 'default', 'active', 'default']);
    expect((await spaces.writable('t1')).map((s) => s.generation)).toEqual([1]);
    expect(await spaces.generation('t1', 2)).toBeNull();
  });

  it('writes the active and the building space, deletes from every space holding points, reads the active one', async () => {
    const { spaces, routed, calls } = spacesWith([row(1, 'default', 'retired'), row(2, 'other', 'retiring'), row(3, 'third', 'building'), row(4, 'default', 'active')]);
    expect((await spaces.active('t1')).generation).toBe(4);
    expect((await spaces.writable('t1')).map((s) => [s.generation, s.embedder.model])).toEqual([
      [4, 'default'],
      [3, 'third'],
    ]);
    expect((await spaces.holding('t1')).map((s) => s.generation)).toEqual([4, 3, 2]);
    expect(await spaces.generation('t1', 1)).toBeNull();

    await routed.search('t1', [1, 0, 0], 5);
    await routed.keywordSearch('t1', 'words', 5);
    await routed.documentChunks('t1', 'd1', 1, 0, 10);
    await routed.listPointRefs('t1');
    expect(calls.splice(0)).toEqual(['4:search', '4:keywordSearch', '4:documentChunks', '4:listPointRefs']);

    await routed.deleteDocument('t1', 'd1');
    await routed.deletePoints('t1', ['p1']);
    expect(calls.splice(0)).toEqual(['4:deleteDocument', '3:deleteDocument', '2:deleteDocument', '4:deletePoints', '3:deletePoints', '2:deletePoints']);
    // A delete is verified against every space: the counts add up.
    expect(await routed.countDocument('t1', 'd1')).toBe(4 + 3 + 2);
  });

  it('refuses a model that is not configured', () => {
    expect(() => modelSet(embedder('default'), []).forModel('other')).toThrow(/not configured/);
    expect(modelSet(embedder('default'), [embedder('other'), embedder('default')]).names).toEqual(['default', 'other']);
  });
});
