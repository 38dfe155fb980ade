/**
 * Tabular data to sections, shared by spreadsheets and CSV so both embed the same way.
 *
 * Each data row becomes one line of "Header: value" pairs (empty cells omitted): a row read in
 * isolation still says what its numbers mean, which is what a retrieved chunk needs. When the
 * first non-empty row does not look like a header (numbers, duplicates, a single column), rows
 * are emitted tab-separated instead. Rows are grouped into sections of ROWS_PER_SECTION with their 1-based
 * sheet row range, so citations can point at "Sheet1 rows 51-100".
 */
import { sanitizeText } from './encoding.js';
import type { SectionCollector } from './collect.js';

/** Rows per section: small enough for precise citations, large enough to keep context. */
export const ROWS_PER_SECTION = 50;

/** One non-empty row with its 1-based row number in the sheet. */
export interface Row {
  row: number;
  cells: string[];
}

/** Cell text on one line: sanitized, internal newlines and tabs folded to spaces. */
export function cleanCell(value: string): string {
  return sanitizeText(value)
    .replace(/[\n\t]+/g, ' ')
    .trim();
}

/** Spreadsheet column letters for 0-based index (0 -> A, 26 -> AA), used when a header cell is blank. */
export function columnName(index: number): string {
  let name = '';
  let n = index + 1;
  while (n > 0) {
    const rem = (n - 1) % 26;
    name = String.fromCharCode(65 + rem) + name;
    n = Math.floor((n - 1) / 26);
  }
  return name;
}

const NUMERIC = /^[-+]?[\d.,\s%$€£]+$/;

// A single column gains nothing from "Header: value" on every line, so it needs two names.
function looksLikeHeader(cells: string[]): boolean {
  const seen = new Set<string>();
  let filled = 0;
  for (const cell of cells) {
    if (cell === '') continue;
    filled++;
    if (NUMERIC.test(cell) || seen.has(cell)) return false;
    seen.add(cell);
  }
  return filled >= 2;
}

/** Writes rows (in sheet order, empty rows already skipped) as row-group sections of one sheet. */
export function addRowSections(sheet: string, rows: Iterable<Row>, out: SectionCollector): void {
  let header: string[] | null = null;
  let decided = false;
  let lines: string[] = [];
  let start = 0;
  let end = 0;
  let count = 0;
  const flush = () => {
    if (lines.length > 0) out.add({ text: lines.join('\n'), sheet, rowStart: start, rowEnd: end });
    lines = [];
    count = 0;
  };
  for (const { row, cells } of rows) {
    if (lines.length === 0 && count === 0) start = row;
    end = row;
    if (!decided) {
      decided = true;
      if (looksLikeHeader(cells)) {
        header = cells;
        // The header alone is a line too, so a sheet with only a header row is not lost.
        lines.push(cells.filter((c) => c !== '').join('\t'));
        continue;
      }
    }
    if (header) {
      const pairs: string[] = [];
      for (let c = 0; c < cells.length; c++) {
        if (cells[c] === '') continue;
        const name = header[c] ? header[c] : columnName(c);
        pairs.push(`${name}: ${cells[c]}`);
      }
      lines.push(pairs.join('; '));
    } else {
      let last = cells.length;
      while (last > 0 && cells[last - 1] === '') last--;
      lines.push(cells.slice(0, last).join('\t'));
    }
    count++;
    if (count >= ROWS_PER_SECTION) flush();
  }
  flush();
}
