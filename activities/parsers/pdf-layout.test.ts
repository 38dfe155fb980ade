import { describe, expect, it } from 'vitest';
import { pageTextInReadingOrder, type PdfTextItem } from './pdf-layout.js';

/** A text item at (x, baseline y), `size` points, about 0.5 em per character wide. */
function item(str: string, x: number, y: number, size = 10, width = str.length * size * 0.5): PdfTextItem {
  return { str, transform: [size, 0, 0, size, x, y], width, height: size };
}

/** `lines` of a column at x, from baseline `top` down, 12 pt apart; null leaves a blank line. */
function column(lines: (string | null)[], x: number, top: number): PdfTextItem[] {
  return lines.flatMap((line, i) => (line === null ? [] : [item(line, x, top - i * 12)]));
}

const prose = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `${tag} line ${i + 1} has several words in it`);

describe('pageTextInReadingOrder', () => {
  it('reads two columns one after the other, even when paragraph breaks line up across them', () => {
    const left = [...prose('left-a', 3), null, ...prose('left-b', 3)];
    const right = [...prose('right-a', 3), null, ...prose('right-b', 3)];
    // Drawn line by line across both columns, the order a naive reader interleaves.
    const items: PdfTextItem[] = [item('A title across the whole page width for everyone', 50, 760, 14)];
    const l = column(left, 50, 720);
    const r = column(right, 320, 720);
    for (let i = 0; i < Math.max(l.length, r.length); i++) items.push(...(l[i] ? [l[i]] : []), ...(r[i] ? [r[i]] : []));
    const lines = pageTextInReadingOrder(items).split('\n');
    expect(lines).toEqual(['A title across the whole page width for everyone', ...left.filter(Boolean), ...right.filter(Boolean)]);
  });

  it('reads a table row by row, cells separated by tabs, whatever order the cells were drawn in', () => {
    const rows = [
      ['Site', 'Part', 'Status'],
      ['WF-1', 'gearbox', 'replaced'],
      ['WF-2', 'blade', 'ok'],
    ];
    const items: PdfTextItem[] = [];
    for (let c = 0; c < 3; c++) rows.forEach((row, r) => items.push(item(row[c], 50 + c * 120, 700 - r * 18)));
    expect(pageTextInReadingOrder(items)).toBe('Site\tPart\tStatus\nWF-1\tgearbox\treplaced\nWF-2\tblade\tok');
  });

  it('orders right-to-left words from the right and keeps words drawn in pieces whole', () => {
    // "سلام دنیا خوب" drawn word by word from the right margin; "دنیا" in two touching pieces
    // (its first letter, د, is the rightmost).
    const items = [item('سلام', 400, 700, 12, 24), item('د', 386, 700, 12, 6), item('نیا', 368, 700, 12, 18), item('خوب', 340, 700, 12, 20)];
    expect(pageTextInReadingOrder(items)).toBe('سلام دنیا خوب');
  });

  it('joins left-to-right pieces without a gap and splits at word gaps', () => {
    const items = [item('Wo', 50, 700, 10, 10), item('rd', 60, 700, 10, 10), item('next', 73, 700, 10, 20)];
    expect(pageTextInReadingOrder(items)).toBe('Word next');
  });

  it('keeps rotated text, after the upright text', () => {
    const rotated: PdfTextItem = { str: 'margin note', transform: [0, 10, -10, 0, 20, 400], width: 50, height: 10 };
    expect(pageTextInReadingOrder([rotated, item('Body text', 50, 700)])).toBe('Body text\nmargin note');
  });
});
