import { describe, expect, it } from 'vitest';
import { pageStartFor, previousPageStart, withEarlierPage } from './chunk-window.js';

describe('chunk window', () => {
  it('starts at the aligned page holding the chunk a link points at', () => {
    expect([0, 24, 25, 60, 99].map((i) => pageStartFor(i, 25))).toEqual([0, 0, 25, 50, 75]);
  });

  it('reaches back one page at a time, never before the first chunk', () => {
    expect([50, 25, 10, 0].map((f) => previousPageStart(f, 25))).toEqual([25, 0, 0, 0]);
  });

  it('puts an earlier page in front without repeating chunks already shown', () => {
    const chunk = (index: number) => ({ index });
    expect(withEarlierPage([chunk(25), chunk(26)], [chunk(0), chunk(1), chunk(25)], 25).map((c) => c.index)).toEqual([0, 1, 25, 26]);
  });
});
