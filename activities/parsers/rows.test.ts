import { describe, expect, it } from 'vitest';
import { SectionCollector } from './collect.js';
import { addRowSections, findHeaderRow, isValueLike, MAX_BLANK_ROWS_IN_SECTION, type Row } from './rows.js';

const rows = (...lines: (string[] | number)[]): Row[] => {
  let n = 0;
  const out: Row[] = [];
  for (const line of lines) {
    if (typeof line === 'number')
      n += line; // skip that many blank rows
    else out.push({ row: ++n, cells: line });
  }
  return out;
};

function sections(input: Row[]) {
  const out = new SectionCollector(1_000_000);
  addRowSections('S', input, out);
  return out.finish('xlsx').sections;
}

describe('findHeaderRow', () => {
  it('finds the header below a title and a note', () => {
    const input = rows(['Annual survey'], ['Source: statistics office, 2021'], 1, ['Region', 'Population', 'Area'], ['North', '1200', '33.5']);
    expect(findHeaderRow(input)).toBe(2);
  });

  it('passes over a two-cell note that names only a few of the table columns', () => {
    const input = rows(['Prepared by', 'Finance'], ['Item', 'Count', 'Price', 'Where'], ['bolts', '12', '0.40', 'bin 3'], ['nuts', '40', '0.10', 'bin 4']);
    expect(findHeaderRow(input)).toBe(1);
  });

  it('finds none when rows are values, or a single column', () => {
    expect(findHeaderRow(rows(['1', '2'], ['3', '4']))).toBe(-1);
    expect(findHeaderRow(rows(['Name'], ['Ada'], ['Grace']))).toBe(-1);
    expect(findHeaderRow(rows(['2019-01-02', '#N/A', '12.5%'], ['x', 'y', 'z']))).toBe(-1);
  });

  it('tells values from words', () => {
    for (const v of ['12', '-3.5', '$1,234.50', '(1,200.00)', '12.5%', '1947-01-08', '8/1/47', '13:45', '1:05 PM', '#DIV/0!', '€ 3,50']) {
      expect([v, isValueLike(v)]).toEqual([v, true]);
    }
    for (const w of ['Region', 'Q1 2020', 'Total ($)', 'N/A']) expect([w, isValueLike(w)]).toEqual([w, false]);
  });
});

describe('addRowSections', () => {
  it('keeps one line per row, blank rows included, so row ranges are exact', () => {
    const [section] = sections(rows(['Title'], 1, ['a', 'b'], ['x', '1'], 2, ['y', '2']));
    expect(section).toEqual({ sheet: 'S', rowStart: 1, rowEnd: 7, text: 'Title\n\na\tb\na: x; b: 1\n\n\na: y; b: 2' });
  });

  it('starts a new section after a long run of blank rows', () => {
    const out = sections(rows(['a', 'b'], ['x', '1'], MAX_BLANK_ROWS_IN_SECTION + 1, ['y', '2']));
    expect(out.map((s) => [s.rowStart, s.rowEnd, s.text])).toEqual([
      [1, 2, 'a\tb\na: x; b: 1'],
      [7, 7, 'a: y; b: 2'],
    ]);
  });
});
