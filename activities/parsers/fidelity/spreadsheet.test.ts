/**
 * Fidelity of the spreadsheet parsers (XLSX, XLS) on generated reports: the words a reader sees
 * must come out in reading order (>= 99 %), every chunk must carry its exact rows and its column
 * names, and hidden sheets must never be indexed unmarked.
 */
import { describe, expect, it } from 'vitest';
import { chunkDocument } from '../../../core/chunking.js';
import type { ParsedDocument } from '../../../core/parsed.js';
import { recallReport } from '../../../test/fixtures/text-recall.js';
import { makeReportWorkbook, referenceText, type ReferenceRow, type ReportWorkbook } from '../../../test/fixtures/workbooks.js';
import { DEFAULT_PARSE_LIMITS } from '../index.js';
import { parseCsv } from '../csv.js';
import { parseXls, parseXlsx } from '../spreadsheet.js';

const TARGET = 0.99;

const FIXTURES: { name: string; parse: typeof parseXlsx; make: () => ReportWorkbook }[] = [
  { name: 'xlsx report, 1900 dates', parse: parseXlsx, make: () => makeReportWorkbook({ bookType: 'xlsx' }) },
  { name: 'xlsx report, 1904 dates', parse: parseXlsx, make: () => makeReportWorkbook({ bookType: 'xlsx', date1904: true }) },
  { name: 'xls report, 1900 dates', parse: parseXls, make: () => makeReportWorkbook({ bookType: 'biff8' }) },
  { name: 'xls report, 1904 dates', parse: parseXls, make: () => makeReportWorkbook({ bookType: 'biff8', date1904: true }) },
];

function allText(doc: ParsedDocument): string {
  return doc.sections.map((s) => s.text).join('\n');
}

/** The line of `doc` that holds the row whose first cell is `id`. */
function lineOf(doc: ParsedDocument, id: string): string | undefined {
  return allText(doc)
    .split('\n')
    .find((line) => line.includes(id));
}

describe.each(FIXTURES)('$name', ({ name, parse, make }) => {
  const book = make();

  it(`recovers >= ${TARGET * 100} % of the reference words in reading order`, async () => {
    const doc = await parse(book.bytes, DEFAULT_PARSE_LIMITS);
    const report = recallReport(referenceText(book.rows), allText(doc));
    console.log(`[fidelity] ${name}: in-order ${report.inOrder.toFixed(4)}, any-order ${report.anyOrder.toFixed(4)}, pairs ${report.pairs.toFixed(4)}`);
    expect(report.inOrder).toBeGreaterThanOrEqual(TARGET);
  });

  it('finds the header below the title and note, and labels every data row with it', async () => {
    const doc = await parse(book.bytes, DEFAULT_PARSE_LIMITS);
    const first = book.rows.find((row) => row.row === book.headerRow + 1)!;
    expect(lineOf(doc, first.cells[0])).toBe(first.cells.map((cell, c) => `${book.header[c]}: ${cell}`).join('; '));
    for (const row of book.rows.filter((r) => r.row > book.headerRow)) {
      expect(lineOf(doc, row.cells[0])).toMatch(/^Order: ORD-\d+; Region: /);
    }
  });

  it('writes dates in ISO form, custom formats as formatted, errors as text and zeros as zeros', async () => {
    const doc = await parse(book.bytes, DEFAULT_PARSE_LIMITS);
    const line = lineOf(doc, 'ORD-1001')!;
    expect(line).toContain('Ordered on: 1947-01-01');
    expect(line).toContain('Posted: 02 January 1990');
    expect(line).toContain('Time: 8:00');
    expect(line).toContain('Amount: $1,234.50');
    expect(line).toContain('Fee: 0;');
    expect(lineOf(doc, 'ORD-1002')).toContain('Check: #N/A');
    expect(lineOf(doc, 'ORD-1004')).toContain('Check: #DIV/0!');
    expect(lineOf(doc, 'ORD-1002')).toMatch(/Share: \d+\.\d%/);
  });

  it('repeats a merged row label in every row it spans', async () => {
    const doc = await parse(book.bytes, DEFAULT_PARSE_LIMITS);
    for (const r of book.mergedRows) {
      const id = book.rows.find((row) => row.row === r)!.cells[0];
      expect(lineOf(doc, id)).toContain('Region: North;');
    }
  });

  it('gives every chunk its exact rows, blank rows never widening them', async () => {
    const doc = await parse(book.bytes, DEFAULT_PARSE_LIMITS);
    const chunks = chunkDocument(doc, { maxTokens: 120, overlapTokens: 0 });
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks) {
      // A data row is known by its order id, the rows above the table by their whole text.
      const marker = (row: ReferenceRow) => (row.row > book.headerRow ? row.cells[0] : row.cells.join('\t'));
      const rows = book.rows.filter((row) => chunk.text.includes(marker(row))).map((row) => row.row);
      expect(chunk.sheet).toBe(book.sheet);
      expect([chunk.rowStart, chunk.rowEnd]).toEqual([Math.min(...rows), Math.max(...rows)]);
      // Every data line names its columns, so the chunk stands alone.
      for (const line of chunk.text.split('\n')) if (/^Order: /.test(line) || line.includes('ORD-')) expect(line).toMatch(/^Order: ORD-/);
    }
  });

  it('skips the hidden sheet by default and marks it when asked to index it', async () => {
    const skipped = await parse(book.bytes, DEFAULT_PARSE_LIMITS);
    expect(allText(skipped)).not.toContain(book.hiddenText);
    expect(skipped.sections.every((s) => s.sheet === book.sheet)).toBe(true);
    const marked = await parse(book.bytes, { ...DEFAULT_PARSE_LIMITS, hiddenSheets: 'mark' });
    const hidden = marked.sections.filter((s) => s.text.includes(book.hiddenText));
    expect(hidden.map((s) => s.sheet)).toEqual([`${book.hiddenSheet} (hidden)`]);
  });
});

describe('csv report', () => {
  // The same report as CSV: title and note lines, a blank line, quoted fields with commas.
  const book = makeReportWorkbook({ bookType: 'xlsx' });
  const lines: string[] = [];
  for (const row of book.rows) {
    while (lines.length < row.row - 1) lines.push('');
    lines.push(row.cells.map((cell) => (/[",\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell)).join(','));
  }
  const bytes = Buffer.from(lines.join('\r\n') + '\r\n', 'utf8');

  it(`recovers >= ${TARGET * 100} % of the reference words in reading order, rows exact and named`, async () => {
    const doc = await parseCsv(bytes, DEFAULT_PARSE_LIMITS);
    const report = recallReport(referenceText(book.rows), allText(doc));
    console.log(`[fidelity] csv report: in-order ${report.inOrder.toFixed(4)}, any-order ${report.anyOrder.toFixed(4)}, pairs ${report.pairs.toFixed(4)}`);
    expect(report.inOrder).toBeGreaterThanOrEqual(TARGET);
    const first = book.rows.find((row) => row.row === book.headerRow + 1)!;
    expect(lineOf(doc, first.cells[0])).toMatch(/^Order: ORD-1001; Region: North; Ordered on: 1947-01-01; /);
    for (const chunk of chunkDocument(doc, { maxTokens: 120, overlapTokens: 0 })) {
      const marker = (row: ReferenceRow) => (row.row > book.headerRow ? row.cells[0] : row.cells.join('\t'));
      const rows = book.rows.filter((row) => chunk.text.includes(marker(row))).map((row) => row.row);
      expect([chunk.rowStart, chunk.rowEnd]).toEqual([Math.min(...rows), Math.max(...rows)]);
    }
  });
});
