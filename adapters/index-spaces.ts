/**
 * Index spaces: which collection of a tenant holds which embedding model's vectors.
 *
 * Every tenant starts with generation 1, filled by the configured default model. Switching the
 * tenant to another model builds generation n+1 in a collection of its own while generation n
 * keeps serving search, then swaps them in one catalog write (workflows/model-switch.ts). The
 * catalog records the spaces (IndexSpaceRecord); this module turns those rows into the vector
 * store and embedder that each kind of access must use:
 * - search, the inspector and reconciliation read the **active** space;
 * - indexing writes every **writable** space: the active one and the one being built, so a
 *   document indexed during a switch is in both, each with its own model's vectors;
 * - deletes reach every space still **holding** points, the replaced one included until it is
 *   dropped, so nothing a user deleted can come back after a swap.
 * A tenant that never switched has no rows: its one space is generation 1 with the default model,
 * and each access costs one indexed catalog read.
 */
import type { Catalog, IndexSpaceRecord } from './catalog.js';
import type { Embedder } from './embedder.js';
import type { PointRef, SearchFilter, VectorPoint, VectorStore } from './vector-store.js';

/** The embedding models this installation can use, by the name the endpoint knows them by. */
export interface EmbeddingModels {
  /** The model every tenant starts with. */
  readonly defaultModel: string;
  /** Every model a tenant may be switched to, the default included. */
  readonly names: readonly string[];
  /** The embedder of a listed model; throws for any other name. */
  forModel(model: string): Embedder;
}

/** One model only: the installation's default, as before model switches existed. */
export function singleModel(embedder: Embedder): EmbeddingModels {
  return modelSet(embedder, []);
}

/** The default embedder plus the other models tenants may move to, each with its own embedder. */
export function modelSet(defaultEmbedder: Embedder, others: readonly Embedder[]): EmbeddingModels {
  const byName = new Map<string, Embedder>([[defaultEmbedder.model, defaultEmbedder]]);
  for (const e of others) if (!byName.has(e.model)) byName.set(e.model, e);
  return {
    defaultModel: defaultEmbedder.model,
    names: [...byName.keys()],
    forModel(model) {
      const embedder = byName.get(model);
      if (!embedder) throw new Error(`embedding model ${JSON.stringify(model)} is not configured (EMBEDDINGS_MODELS)`);
      return embedder;
    },
  };
}

export type LiveSpaceState = 'active' | 'building' | 'retiring';

/** A space that holds points, with the store view and the embedder that belong to it. */
export interface LiveSpace {
  generation: number;
  model: string;
  state: LiveSpaceState;
  /** The vector store addressing this generation's collections. */
  vectors: VectorStore;
  embedder: Embedder;
}

export interface TenantSpaces {
  readonly models: EmbeddingModels;
  /** The space search answers from. */
  active(tenantId: string): Promise<LiveSpace>;
  /** Where new points go: the active space first, then the one a switch is building (if any). */
  writable(tenantId: string): Promise<LiveSpace[]>;
  /** Every space with points a delete must reach: writable ones plus one replaced but not yet dropped. */
  holding(tenantId: string): Promise<LiveSpace[]>;
  /** One generation's store view and embedder while it holds points (null once dropped or never made). */
  generation(tenantId: string, generation: number): Promise<LiveSpace | null>;
}

const LIVE: Record<string, LiveSpaceState | undefined> = { active: 'active', building: 'building', retiring: 'retiring' };

/** Spaces from the catalog's rows, over one vector store (all generations) and the configured models. */
export function createTenantSpaces(deps: { catalog: Pick<Catalog, 'listIndexSpaces'>; vectors: VectorStore; models: EmbeddingModels }): TenantSpaces {
  const views = new Map<number, VectorStore>();
  const viewOf = (generation: number) => {
    let view = views.get(generation);
    if (!view) {
      view = generation === 1 ? deps.vectors : deps.vectors.forGeneration(generation);
      views.set(generation, view);
    }
    return view;
  };
  const live = (row: Pick<IndexSpaceRecord, 'generation' | 'model'>, state: LiveSpaceState): LiveSpace => ({
    generation: row.generation,
    model: row.model,
    state,
    vectors: viewOf(row.generation),
    embedder: deps.models.forModel(row.model),
  });
  /** Live spaces, active first; the implicit generation 1 for a tenant that never switched. */
  const liveSpaces = async (tenantId: string): Promise<LiveSpace[]> => {
    const rows = await deps.catalog.listIndexSpaces(tenantId);
    if (rows.length === 0) return [live({ generation: 1, model: deps.models.defaultModel }, 'active')];
    const order: Record<LiveSpaceState, number> = { active: 0, building: 1, retiring: 2 };
    return rows
      .filter((r) => LIVE[r.state] !== undefined)
      .map((r) => live(r, LIVE[r.state]!))
      .sort((a, b) => order[a.state] - order[b.state]);
  };
  return {
    models: deps.models,
    async active(tenantId) {
      const [first] = await liveSpaces(tenantId);
      if (first?.state !== 'active') throw new Error(`tenant ${tenantId} has no active index space`);
      return first;
    },
    async writable(tenantId) {
      return (await liveSpaces(tenantId)).filter((s) => s.state !== 'retiring');
    },
    holding: liveSpaces,
    async generation(tenantId, generation) {
      const rows = await deps.catalog.listIndexSpaces(tenantId);
      const row = rows.find((r) => r.generation === generation);
      if (row) return LIVE[row.state] ? live(row, LIVE[row.state]!) : null;
      return generation === 1 && rows.length === 0 ? live({ generation: 1, model: deps.models.defaultModel }, 'active') : null;
    },
  };
}

/**
 * One store, one embedder, one space: for code that writes and searches an index without a
 * catalog (the retrieval evaluation, the benchmark's raw pipeline, unit tests).
 */
export function fixedSpaces(vectors: VectorStore, embedder: Embedder): TenantSpaces {
  const space: LiveSpace = { generation: 1, model: embedder.model, state: 'active', vectors, embedder };
  return {
    models: singleModel(embedder),
    active: async () => space,
    writable: async () => [space],
    holding: async () => [space],
    generation: async (_tenantId, generation) => (generation === 1 ? space : null),
  };
}

/**
 * The vector store as the rest of the product sees it: reads from the tenant's active space,
 * deletes (and the counts that verify them) across every space holding points. Writes go to the
 * active space; only the index step and reconciliation write, and they embed with the active
 * space's own model (TenantSpaces.writable / active), never with another one.
 */
export function spaceRoutedStore(base: VectorStore, spaces: TenantSpaces): VectorStore {
  const active = async (tenantId: string) => (await spaces.active(tenantId)).vectors;
  const eachHolding = async <T>(tenantId: string, fn: (store: VectorStore) => Promise<T>): Promise<T[]> => {
    const out: T[] = [];
    for (const space of await spaces.holding(tenantId)) out.push(await fn(space.vectors));
    return out;
  };
  return {
    ensureCollection: async (tenantId: string, dimensions: number) => (await active(tenantId)).ensureCollection(tenantId, dimensions),
    upsert: async (tenantId: string, points: VectorPoint[]) => (await active(tenantId)).upsert(tenantId, points),
    search: async (tenantId: string, vector: number[], limit: number, filter?: SearchFilter) => (await active(tenantId)).search(tenantId, vector, limit, filter),
    keywordSearch: async (tenantId: string, text: string, limit: number, filter?: SearchFilter) => (await active(tenantId)).keywordSearch(tenantId, text, limit, filter),
    documentChunks: async (tenantId: string, documentId: string, version: number, from: number, limit: number) =>
      (await active(tenantId)).documentChunks(tenantId, documentId, version, from, limit),
    async deleteDocument(tenantId: string, documentId: string, exceptVersion?: number) {
      await eachHolding(tenantId, (store) => store.deleteDocument(tenantId, documentId, exceptVersion));
    },
    async countDocument(tenantId: string, documentId: string, exceptVersion?: number) {
      const counts = await eachHolding(tenantId, (store) => store.countDocument(tenantId, documentId, exceptVersion));
      return counts.reduce((a, b) => a + b, 0);
    },
    countAll: async (tenantId: string) => (await active(tenantId)).countAll(tenantId),
    listDocumentPointIds: async (tenantId: string, documentId: string) => (await active(tenantId)).listDocumentPointIds(tenantId, documentId),
    listPointRefs: async (tenantId: string): Promise<PointRef[]> => (await active(tenantId)).listPointRefs(tenantId),
    async deletePoints(tenantId: string, ids: string[]) {
      await eachHolding(tenantId, (store) => store.deletePoints(tenantId, ids));
    },
    async compact(tenantId: string) {
      const done = await eachHolding(tenantId, (store) => store.compact(tenantId));
      return done.join('; ');
    },
    forGeneration: (generation: number) => base.forGeneration(generation),
    dropCollection: (tenantId: string) => base.dropCollection(tenantId),
    health: () => base.health(),
    close: () => base.close(),
  };
}
