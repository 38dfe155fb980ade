/**
 * Searching a tenant's index in one of three modes, the one place that decides how: `dense`
 * embeds the query and asks the vector store for the nearest chunks, `keyword` asks the store's
 * full-text index, and `hybrid` (the default) runs both and fuses their rankings
 * (core/hybrid-ranking.ts), counting a keyword result by the share of the query's words it
 * holds. Measured by `npm run eval` (bench/retrieval-eval.ts): on paraphrased questions hybrid
 * ranks as well as dense, on exact identifiers as well as keyword. Both stores implement the two retrievals behind VectorStore, so
 * this works the same on LanceDB and Qdrant. The API's search route and the retrieval
 * evaluation (bench/retrieval-eval.ts) both call it.
 */
import { fuseRankings, type MatchKind, type SearchMode } from '../core/hybrid-ranking.js';
import { keywordTerms, termCoverage } from '../core/keyword-terms.js';
import type { Catalog } from './catalog.js';
import type { TenantSpaces } from './index-spaces.js';
import type { SearchFilter, SearchHit } from './vector-store.js';

/**
 * What a search needs: the tenant's active index space (its collection, and the embedding model
 * that filled it, which must embed the query too), and the catalog's word on which documents have
 * a version other than the active one in the store.
 */
export interface IndexSearchDeps {
  spaces: Pick<TenantSpaces, 'active'>;
  catalog: Pick<Catalog, 'listPendingVersions'>;
}

/** For an index written without a catalog (the retrieval evaluation): every document has one version. */
export const SINGLE_VERSION_INDEX: IndexSearchDeps['catalog'] = { listPendingVersions: async () => [] };

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

/** Share of the query's searchable words a keyword result must hold to count in hybrid search. */
export const KEYWORD_MIN_COVERAGE = 0.5;

/**
 * How deep each ranking is read before fusion: a chunk ranked just below `limit` by both
 * retrievals should still be able to beat one that only one of them ranked first.
 */
export function fusionDepth(limit: number): number {
  return Math.min(100, Math.max(20, limit * 4));
}

/**
 * Runs one search; the results are the tenant's own chunks only, best first, each document's from
 * its active version only. The catalog knows which version is active, the store does not: so the
 * catalog is asked which documents have another version in the store (those a re-index is
 * building or has just replaced: few, and usually none, read through a partial index), and those
 * documents are held to their active version inside the store's own filter. Each retrieval stays
 * one store query that ranks only answerable points, instead of over-fetching and dropping other
 * versions afterwards, which could leave a page short or need a second query.
 */
export async function searchIndex(deps: IndexSearchDeps, request: IndexSearchRequest): Promise<IndexSearchHit[]> {
  const { tenantId, query, mode, limit } = request;
  const [space, pending] = await Promise.all([deps.spaces.active(tenantId), deps.catalog.listPendingVersions(tenantId)]);
  const filter: SearchFilter | undefined =
    pending.length === 0 ? request.filter : { ...request.filter, onlyVersions: pending.map((p) => ({ documentId: p.documentId, version: p.activeVersion })) };
  const dense = async (depth: number) => {
    const [vector] = await space.embedder.embed([query], 'query');
    return space.vectors.search(tenantId, vector, depth, filter);
  };
  if (mode === 'dense') return (await dense(limit)).map((hit) => ({ ...hit, matched: 'dense' }));
  if (mode === 'keyword') return (await space.vectors.keywordSearch(tenantId, query, limit, filter)).map((hit) => ({ ...hit, matched: 'keyword' }));
  const depth = fusionDepth(limit);
  const [byMeaning, byWords] = await Promise.all([dense(depth), space.vectors.keywordSearch(tenantId, query, depth, filter)]);
  // A keyword result votes only when it holds at least half of the query's words, and in
  // proportion to the share it holds: an exact identifier (all its parts) counts in full, while
  // a question's passing word in some other passage does not outvote the embeddings.
  const terms = keywordTerms(query);
  const coverage = new Map(byWords.map((hit) => [hit.id, termCoverage(terms, hit.payload.text)]));
  const evidence = byWords.filter((hit) => coverage.get(hit.id)! >= KEYWORD_MIN_COVERAGE);
  return fuseRankings(
    byMeaning,
    evidence,
    (hit) => hit.id,
    limit,
    (hit) => coverage.get(hit.id)!,
  ).map((r) => ({ ...r.item, score: r.score, matched: r.matched }));
}
