/**
 * How search combines its two rankings. Dense search (embeddings) finds passages that mean what
 * the query means; keyword search finds the ones that contain its words, which is what an exact
 * identifier (a part number, an article code) needs. Hybrid search fuses the two by reciprocal
 * rank fusion: a result scores the sum of 1 / (k + rank) over the rankings it appears in, so
 * only positions count, never the scores (a cosine similarity and a BM25 value have nothing in
 * common), and what both rankings found rises to the top. k = 60, the value of the original
 * paper (Cormack, Clarke and Büttcher, 2009): large enough that one list's first place does not
 * drown the other's. A keyword vote can be weighed (adapters/index-search.ts weighs it by the
 * share of the query's words the passage holds).
 *
 * Pure; the API contract (core/contracts.ts) and the search use case share it.
 */

/** What POST /api/search can do; `hybrid` is the default. */
export const SEARCH_MODES = ['dense', 'hybrid', 'keyword'] as const;
export type SearchMode = (typeof SEARCH_MODES)[number];

/** Which rankings found a result. */
export const MATCH_KINDS = ['dense', 'keyword', 'both'] as const;
export type MatchKind = (typeof MATCH_KINDS)[number];

export const RRF_K = 60;

/** One fused result: the item, its fused score and where each ranking put it (1-based; null when absent). */
export interface FusedResult<T> {
  item: T;
  score: number;
  denseRank: number | null;
  keywordRank: number | null;
  matched: MatchKind;
}

/**
 * Fuses two rankings (best first) of items identified by `keyOf` and returns the best `limit`.
 * `keywordWeight` scales a keyword result's vote (0..1; 1 by default, the plain fusion). Ties
 * go to the result with the better single rank, then to the dense ranking, so the order is
 * fully determined.
 */
export function fuseRankings<T>(
  dense: readonly T[],
  keyword: readonly T[],
  keyOf: (item: T) => string,
  limit: number,
  keywordWeight: (item: T) => number = () => 1,
  k = RRF_K,
): FusedResult<T>[] {
  const byKey = new Map<string, FusedResult<T>>();
  const add = (items: readonly T[], which: 'denseRank' | 'keywordRank', weight: (item: T) => number) => {
    items.forEach((item, i) => {
      const key = keyOf(item);
      const entry = byKey.get(key) ?? { item, score: 0, denseRank: null, keywordRank: null, matched: 'dense' };
      if (entry[which] !== null) return; // a ranking that lists an item twice counts its better place only
      entry[which] = i + 1;
      entry.score += weight(item) / (k + i + 1);
      byKey.set(key, entry);
    });
  };
  add(dense, 'denseRank', () => 1);
  add(keyword, 'keywordRank', keywordWeight);
  const results = [...byKey.values()];
  for (const r of results) r.matched = r.denseRank !== null && r.keywordRank !== null ? 'both' : r.denseRank !== null ? 'dense' : 'keyword';
  const best = (r: FusedResult<T>) => Math.min(r.denseRank ?? Infinity, r.keywordRank ?? Infinity);
  results.sort((a, b) => b.score - a.score || best(a) - best(b) || (a.denseRank === null ? 1 : 0) - (b.denseRank === null ? 1 : 0));
  return results.slice(0, Math.max(0, limit));
}
