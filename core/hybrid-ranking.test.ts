import { describe, expect, it } from 'vitest';
import { fuseRankings, RRF_K } from './hybrid-ranking.js';

const id = (s: string) => s;
const view = (results: ReturnType<typeof fuseRankings<string>>) => results.map((r) => [r.item, r.matched, r.denseRank, r.keywordRank]);

describe('reciprocal rank fusion', () => {
  it('scores each result by its ranks alone and lifts what both rankings found', () => {
    const fused = fuseRankings(['a', 'b', 'c'], ['c', 'd'], id, 10);
    expect(view(fused)).toEqual([
      ['c', 'both', 3, 1],
      ['a', 'dense', 1, null],
      ['b', 'dense', 2, null],
      ['d', 'keyword', null, 2],
    ]);
    expect(fused[0].score).toBeCloseTo(1 / (RRF_K + 3) + 1 / (RRF_K + 1), 12);
    expect(fused[1].score).toBeCloseTo(1 / (RRF_K + 1), 12);
  });

  it('breaks ties by the better single rank, then in favour of the dense ranking', () => {
    // x is 1st in dense, y 1st in keyword: equal scores, dense first. z and w tie at rank 2.
    expect(view(fuseRankings(['x', 'z'], ['y', 'w'], id, 10))).toEqual([
      ['x', 'dense', 1, null],
      ['y', 'keyword', null, 1],
      ['z', 'dense', 2, null],
      ['w', 'keyword', null, 2],
    ]);
  });

  it('honours the limit, handles empty rankings and counts a repeated item once per ranking', () => {
    expect(fuseRankings(['a', 'b', 'c'], [], id, 2).map((r) => r.item)).toEqual(['a', 'b']);
    expect(fuseRankings([], ['k'], id, 5).map((r) => r.matched)).toEqual(['keyword']);
    expect(fuseRankings([], [], id, 5)).toEqual([]);
    expect(fuseRankings(['a'], ['a'], id, 0)).toEqual([]);
    const repeated = fuseRankings(['a', 'a', 'b'], ['a'], id, 5);
    expect(view(repeated)).toEqual([
      ['a', 'both', 1, 1],
      ['b', 'dense', 3, null],
    ]);
  });

  it('scales each keyword vote by its weight', () => {
    const weights: Record<string, number> = { k1: 0.25, k2: 1 };
    const fused = fuseRankings(['d1', 'k2'], ['k1', 'k2'], id, 5, (item) => weights[item]);
    expect(view(fused)).toEqual([
      ['k2', 'both', 2, 2],
      ['d1', 'dense', 1, null],
      ['k1', 'keyword', null, 1],
    ]);
    expect(fused[2].score).toBeCloseTo(0.25 / (RRF_K + 1), 12);
  });

  it('identifies items by key, keeping the dense ranking’s copy', () => {
    const dense = [{ id: 'p1', from: 'dense' }];
    const keyword = [{ id: 'p1', from: 'keyword' }];
    expect(fuseRankings(dense, keyword, (h) => h.id, 5)[0].item).toBe(dense[0]);
  });
});
