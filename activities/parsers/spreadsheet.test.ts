import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { reasonCodeOf } from '../../test/fixtures/errors.js';
import { makeXls, makeXlsx } from '../../test/fixtures/documents.js';
import { makeWholeGridMergeXlsx } from '../../test/fixtures/hostile.js';
import { DEFAULT_PARSE_LIMITS } from './index.js';
import { parseXls, parseXlsx } from './spreadsheet.js';

const SHEETS = {
  Inventory: [
    ['item', 'count', 'location'],
    ['hammers', 12, 'aisle 3'],
    ['screwdrivers', 40, ''],
  ],
  Numbers: [
    [1, 2],
    [3, 4],
  ],
};

describe('parseXlsx', () => {
  it('emits one section per sheet row group with sheet name and row range', async () => {
    const doc = await parseXlsx(makeXlsx(SHEETS), DEFAULT_PARSE_LIMITS);
    expect(doc.format).toBe('xlsx');
    expect(doc.pageCount).toBe(2);
    expect(doc.sections).toEqual([
      {
        sheet: 'Inventory',
        rowStart: 1,
        rowEnd: 3,
        text: 'item\tcount\tlocation\nitem: hammers; count: 12; location: aisle 3\nitem: screwdrivers; count: 40',
      },
      { sheet: 'Numbers', rowStart: 1, rowEnd: 2, text: '1\t2\n3\t4' },
    ]);
  });

  it('splits long sheets into 50-row sections and keeps real row numbers', async () => {
    const rows: (string | number)[][] = [[], [], ['name', 'value']];
    for (let i = 1; i <= 60; i++) rows.push([`n${i}`, i]);
    const doc = await parseXlsx(makeXlsx({ Data: rows }), DEFAULT_PARSE_LIMITS);
    expect(doc.sections.map((s) => [s.sheet, s.rowStart, s.rowEnd])).toEqual([
      ['Data', 3, 53],
      ['Data', 54, 63],
    ]);
    expect(doc.sections[1].text.split('\n')[0]).toBe('name: n51; value: 51');
  });

  it('fails a 2 KB whole-grid merge with limit_exceeded in well under a second', async () => {
    const bytes = makeWholeGridMergeXlsx();
    expect(bytes.length).toBeLessThan(4096);
    const started = performance.now();
    expect(await reasonCodeOf(parseXlsx(bytes, DEFAULT_PARSE_LIMITS))).toBe('limit_exceeded');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('checks declared cells and rows against the limits before reading cells', async () => {
    const grid = Array.from({ length: 10 }, (_, r) => Array.from({ length: 10 }, (_, c) => `r${r}c${c}`));
    const bytes = makeXlsx({ Grid: grid });
    expect(await reasonCodeOf(parseXlsx(bytes, { ...DEFAULT_PARSE_LIMITS, maxCells: 99 }))).toBe('limit_exceeded');
    expect(await reasonCodeOf(parseXlsx(bytes, { ...DEFAULT_PARSE_LIMITS, maxRows: 9 }))).toBe('limit_exceeded');
    expect((await parseXlsx(bytes, { ...DEFAULT_PARSE_LIMITS, maxCells: 100, maxRows: 10 })).sections).toHaveLength(1);
  });

  it('refuses an XLSX whose shared strings declare a DTD (billion laughs)', async () => {
    const lol = '<!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>';
    const bytes = Buffer.from(
      zipSync({
        '[Content_Types].xml': strToU8('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'),
        'xl/workbook.xml': strToU8('<?xml version="1.0"?><workbook/>'),
        'xl/sharedStrings.xml': strToU8(`<?xml version="1.0"?>${lol}<sst><si><t>&b;</t></si></sst>`),
      }),
    );
    expect(await reasonCodeOf(parseXlsx(bytes, DEFAULT_PARSE_LIMITS))).toBe('corrupt');
  });

  it('refuses workbooks without text and damaged files', async () => {
    expect(await reasonCodeOf(parseXlsx(makeXlsx({ Empty: [[''], ['']] }), DEFAULT_PARSE_LIMITS))).toBe('no_extractable_text');
    const broken = makeXlsx(SHEETS).subarray(0, 600);
    expect(await reasonCodeOf(parseXlsx(broken, DEFAULT_PARSE_LIMITS))).toBe('corrupt');
  });
});

describe('parseXls', () => {
  it('reads BIFF8 workbooks the same way', async () => {
    const doc = await parseXls(makeXls(SHEETS), DEFAULT_PARSE_LIMITS);
    expect(doc.format).toBe('xls');
    expect(doc.sections[0]).toEqual({
      sheet: 'Inventory',
      rowStart: 1,
      rowEnd: 3,
      text: 'item\tcount\tlocation\nitem: hammers; count: 12; location: aisle 3\nitem: screwdrivers; count: 40',
    });
  });
});
