/**
 * Searching a tenant's index in one of three modes, the one place that decides how: `dense`
 * embeds the query and asks the vector store for the nearest chunks, `keyword` asks the store's
 * full-text index, and `hybrid` (the default) runs both and fuses their rankings
 * (core/hybrid-ranking.ts). Both stores implement the two retrievals behind VectorStore, so
 * this works the same on LanceDB and Qdrant. The API's search route and the retrieval
 * evaluation (bench/retrieval-eval.ts) both call it.
 */
import { fuseRankings, type MatchKind, type SearchMode } from '../core/hybrid-ranking.js';
import type { Embedder } from './embedder.js';
import type { SearchFilter, SearchHit, VectorStore } from './vector-store.js';

/** What a search needs: the tenant's vector store and the embedder its vectors came from. */
export interface IndexSearchDeps {
  vectors: VectorStore;
  embedder: Embedder;
}

export interface IndexSearchRequest {
  tenantId: string;
  query: string;
  mode: SearchMode;
  limit: number;
  filter?: SearchFilter;
}

/**
 * A result and which retrieval found it. `score` is the cosine similarity in dense mode, the
 * store's keyword relevance in keyword mode and the fused reciprocal-rank score in hybrid mode.
 */
export interface IndexSearchHit extends SearchHit {
  matched: MatchKind;
}

/**
 * How deep each ranking is read before fusion: a chunk ranked just below `limit` by both
 * retrievals should still be able to beat one that only one of them ranked first.
 */
export function fusionDepth(limit: number): number {
  return Math.min(100, Math.max(20, limit * 4));
}

/** Runs one search; the results are the tenant's own chunks only, best first. */
export async function searchIndex(deps: IndexSearchDeps, request: IndexSearchRequest): Promise<IndexSearchHit[]> {
  const { tenantId, query, mode, limit, filter } = request;
  const dense = async (depth: number) => {
    const [vector] = await deps.embedder.embed([query], 'query');
    return deps.vectors.search(tenantId, vector, depth, filter);
  };
  if (mode === 'dense') return (await dense(limit)).map((hit) => ({ ...hit, matched: 'dense' }));
  if (mode === 'keyword') return (await deps.vectors.keywordSearch(tenantId, query, limit, filter)).map((hit) => ({ ...hit, matched: 'keyword' }));
  const depth = fusionDepth(limit);
  const [byMeaning, byWords] = await Promise.all([dense(depth), deps.vectors.keywordSearch(tenantId, query, depth, filter)]);
  return fuseRankings(byMeaning, byWords, (hit) => hit.id, limit).map((r) => ({ ...r.item, score: r.score, matched: r.matched }));
}
