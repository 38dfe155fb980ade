import { describe, expect, it } from 'vitest';
import { pages, readAllPages } from './paging.js';

const list = (n: number) => {
  const rows = Array.from({ length: n }, (_, i) => i);
  const calls: Array<[number, number]> = [];
  const fetchPage = async (offset: number, limit: number) => {
    calls.push([offset, limit]);
    return rows.slice(offset, offset + limit);
  };
  return { rows, calls, fetchPage };
};

describe('paging', () => {
  it('reads every row, stopping at the first short page', async () => {
    const { rows, calls, fetchPage } = list(7);
    expect(await readAllPages(fetchPage, 3)).toEqual(rows);
    expect(calls).toEqual([
      [0, 3],
      [3, 3],
      [6, 3],
    ]);
  });

  it('asks once more after an exactly full last page, and yields the empty page', async () => {
    const { calls, fetchPage } = list(6);
    const seen: number[][] = [];
    for await (const page of pages(fetchPage, 3)) seen.push(page);
    expect(seen).toEqual([[0, 1, 2], [3, 4, 5], []]);
    expect(calls).toHaveLength(3);
  });

  it('refuses a page size that could never end', async () => {
    await expect(readAllPages(list(1).fetchPage, 0)).rejects.toThrow(RangeError);
  });
});
