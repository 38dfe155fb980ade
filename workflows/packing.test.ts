import { describe, expect, it } from 'vitest';
import { chunkRanges, retryDelayMs, takeBounded } from './packing.js';

describe('takeBounded', () => {
  it('takes from the front while both bounds hold, and leaves the rest queued in order', () => {
    const queue = [3, 4, 5, 1, 9];
    expect(takeBounded(queue, { maxItems: 10, maxWeight: 12 }, (n) => n)).toEqual([3, 4, 5]);
    expect(queue).toEqual([1, 9]);
    expect(takeBounded(queue, { maxItems: 1, maxWeight: 100 }, (n) => n)).toEqual([1]);
  });

  it('always takes one item, even one heavier than the bound: a large document goes on its own', () => {
    const queue = [50, 1, 1];
    expect(takeBounded(queue, { maxItems: 10, maxWeight: 8 }, (n) => n)).toEqual([50]);
    expect(takeBounded(queue, { maxItems: 10, maxWeight: 8 }, (n) => n)).toEqual([1, 1]);
    expect(takeBounded(queue, { maxItems: 10, maxWeight: 8 }, (n) => n)).toEqual([]);
  });
});

describe('chunkRanges', () => {
  it('covers every chunk once, in stored groups', () => {
    expect(chunkRanges(1, 128)).toEqual([{ start: 0, end: 1 }]);
    expect(chunkRanges(300, 128)).toEqual([
      { start: 0, end: 128 },
      { start: 128, end: 256 },
      { start: 256, end: 300 },
    ]);
    expect(chunkRanges(0, 128)).toEqual([]);
  });
});

describe('retryDelayMs', () => {
  it('doubles from the initial delay up to the cap', () => {
    const policy = { initialDelayMs: 1_000, maxDelayMs: 60_000 };
    expect([1, 2, 3, 6, 7, 9].map((attempt) => retryDelayMs(policy, attempt))).toEqual([1_000, 2_000, 4_000, 32_000, 60_000, 60_000]);
  });
});
