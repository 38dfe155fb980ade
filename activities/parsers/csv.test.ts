import { describe, expect, it } from 'vitest';
import { reasonCodeOf } from '../../test/fixtures/errors.js';
import { makeCsv, makeText } from '../../test/fixtures/documents.js';
import { DEFAULT_PARSE_LIMITS } from './index.js';
import { parseCsv, parseCsvRecords, sniffDelimiter } from './csv.js';

describe('parseCsv', () => {
  it('parses quoted fields and emits "Header: value" rows with sheet = csv', async () => {
    const bytes = makeCsv([
      ['city', 'country', 'note'],
      ['Lisbon', 'Portugal', 'hills, trams'],
      ['Turin', 'Italy', 'said "ciao"\nand left'],
      ['', '', ''],
      ['Oslo', '', 'cold'],
    ]);
    const doc = await parseCsv(bytes, DEFAULT_PARSE_LIMITS);
    expect(doc.format).toBe('csv');
    expect(doc.sections).toEqual([
      {
        sheet: 'csv',
        rowStart: 1,
        rowEnd: 5,
        text: [
          'city\tcountry\tnote',
          'city: Lisbon; country: Portugal; note: hills, trams',
          'city: Turin; country: Italy; note: said "ciao" and left',
          'city: Oslo; note: cold',
        ].join('\n'),
      },
    ]);
  });

  it('groups rows into sections of 50 with 1-based row ranges', async () => {
    const rows: (string | number)[][] = [['id', 'name']];
    for (let i = 1; i <= 120; i++) rows.push([i, `item ${i}`]);
    const doc = await parseCsv(makeCsv(rows), DEFAULT_PARSE_LIMITS);
    expect(doc.sections.map((s) => [s.rowStart, s.rowEnd])).toEqual([
      [1, 51],
      [52, 101],
      [102, 121],
    ]);
    expect(doc.sections[1].text.split('\n')[0]).toBe('id: 51; name: item 51');
  });

  it('sniffs semicolon separators and decodes Latin-1', async () => {
    const doc = await parseCsv(makeText('produit;prix\ncrème;3,50\npâté;4,20\n', 'latin1'), DEFAULT_PARSE_LIMITS);
    expect(doc.sections[0].text).toBe('produit\tprix\nproduit: crème; prix: 3,50\nproduit: pâté; prix: 4,20');
    expect(doc.encoding).toBe('windows-1252');
  });

  it('emits tab-separated rows when the first row is not a header', async () => {
    const doc = await parseCsv(
      makeCsv([
        [1, 2, 3],
        [4, 5, 6],
      ]),
      DEFAULT_PARSE_LIMITS,
    );
    expect(doc.sections[0].text).toBe('1\t2\t3\n4\t5\t6');
  });

  it('enforces row and cell limits while parsing', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => [`r${i}`, 'x']);
    expect(await reasonCodeOf(parseCsv(makeCsv(rows), { ...DEFAULT_PARSE_LIMITS, maxRows: 29 }))).toBe('limit_exceeded');
    expect(await reasonCodeOf(parseCsv(makeCsv(rows), { ...DEFAULT_PARSE_LIMITS, maxCells: 59 }))).toBe('limit_exceeded');
    expect((await parseCsv(makeCsv(rows), { ...DEFAULT_PARSE_LIMITS, maxRows: 30, maxCells: 60 })).sections.length).toBe(1);
  });

  it('refuses a CSV with no text', async () => {
    expect(await reasonCodeOf(parseCsv(makeText(',,,\n,,\n'), DEFAULT_PARSE_LIMITS))).toBe('no_extractable_text');
  });

  it('parses an unterminated quote and quote storms in linear time', async () => {
    const text = 'a,"' + 'x'.repeat(1_000_000) + '\n' + '""'.repeat(500_000);
    const started = performance.now();
    const rows = [...parseCsvRecords(text, ',', DEFAULT_PARSE_LIMITS)];
    expect(performance.now() - started).toBeLessThan(2000);
    expect(rows).toHaveLength(1);
    expect(rows[0].cells[0]).toBe('a');
  });

  it('picks the delimiter from the first record only', () => {
    expect(sniffDelimiter('a;b;c\n1,2,3,4,5\n')).toBe(';');
    expect(sniffDelimiter('"a;b;c",d\n')).toBe(',');
    expect(sniffDelimiter('a\tb\tc')).toBe('\t');
  });
});
