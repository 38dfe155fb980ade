/**
 * Tabular data to sections, shared by spreadsheets and CSV so both embed the same way.
 *
 * Each data row becomes one line of "Header: value" pairs (empty cells omitted): a row read in
 * isolation still says what its numbers mean, which is what a retrieved chunk needs, so every
 * chunk carries its column names. The header is looked for below titles and notes
 * (findHeaderRow); when no row looks like one (numbers, duplicates, a single column), rows are
 * emitted tab-separated instead. Rows are grouped into sections of ROWS_PER_SECTION with their
 * exact 1-based sheet row range, so citations can point at "Sheet1 rows 51-100".
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

/** Non-empty rows looked at to find the header row below titles and notes. */
export const HEADER_SCAN_ROWS = 20;
/** Blank rows a section may contain (as empty lines); a longer gap starts a new section. */
export const MAX_BLANK_ROWS_IN_SECTION = 3;
/** Longer cells are notes or data, never column names. */
const MAX_HEADER_CELL = 80;

// Numbers, money, percentages, dates, times and error values: what data rows hold and headers don't.
const VALUE_LIKE = [
  /^[-+(]?\s?[$€£¥]?\s?[-+]?[\d.,\s']*\d[\d.,\s']*\s?[%€$£¥]?\)?$/u,
  /^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$/,
  /^\d{1,2}:\d{2}(?::\d{2})?(?:\s?[AaPp][Mm])?$/,
  /^#(?:NULL!|DIV\/0!|VALUE!|REF!|NAME\?|NUM!|N\/A|GETTING_DATA)$/,
];

/** Whether a cell's text is a value (number, date, time, error) rather than a word. */
export function isValueLike(cell: string): boolean {
  return cell.length <= 40 && VALUE_LIKE.some((re) => re.test(cell));
}

interface HeaderStats {
  /** Filled cells, or -1 when the row cannot be a header. */
  filled: number;
  /** Value-like cells (numbers, dates...). */
  values: number;
}

/**
 * How `cells` reads as column names for the rows below it (`below`: the columns they fill): it
 * can be a header with at least two distinct, short, mostly non-value cells covering two thirds
 * of those columns. A single column gains nothing from "Header: value" on every line, and a row
 * with nothing below it names nothing.
 */
function headerStats(cells: string[], below: Set<number>): HeaderStats {
  const seen = new Set<string>();
  let filled = 0;
  let values = 0;
  let covered = 0;
  let unique = true;
  for (let c = 0; c < cells.length; c++) {
    const cell = cells[c];
    if (cell === '') continue;
    if (cell.length > MAX_HEADER_CELL || seen.has(cell)) unique = false;
    seen.add(cell);
    filled++;
    if (isValueLike(cell)) values++;
    if (below.has(c)) covered++;
  }
  const header = unique && filled >= 2 && values * 2 < filled && below.size > 0 && covered * 3 >= below.size * 2;
  return { filled: header ? filled : -1, values };
}

/**
 * Index in `rows` of the header row, or -1. Titles, notes and blank rows often sit above a
 * table, and titles may hold a comma or two cells: the header is the widest header-like row
 * above the first data row (a row with two or more values), the earliest of equally wide ones.
 */
export function findHeaderRow(rows: Row[]): number {
  const below: Set<number>[] = new Array<Set<number>>(rows.length);
  let acc = new Set<number>();
  for (let i = rows.length - 1; i >= 0; i--) {
    below[i] = acc;
    acc = new Set(acc);
    rows[i].cells.forEach((cell, c) => {
      if (cell !== '') acc.add(c);
    });
  }
  let best = -1;
  let bestFilled = -1;
  for (let i = 0; i < rows.length; i++) {
    const { filled, values } = headerStats(rows[i].cells, below[i]);
    if (filled > bestFilled) {
      best = i;
      bestFilled = filled;
    }
    if (values >= 2) break;
  }
  return best;
}

function pairsLine(header: string[], cells: string[]): string {
  const pairs: string[] = [];
  for (let c = 0; c < cells.length; c++) {
    if (cells[c] === '') continue;
    pairs.push(`${header[c] ? header[c] : columnName(c)}: ${cells[c]}`);
  }
  return pairs.join('; ');
}

function plainLine(cells: string[]): string {
  let last = cells.length;
  while (last > 0 && cells[last - 1] === '') last--;
  return cells.slice(0, last).join('\t');
}

/**
 * Writes rows (in sheet order, empty rows already skipped) as row-group sections of one sheet.
 *
 * Section text has one line per sheet row from rowStart to rowEnd, blank rows as empty lines, so
 * the chunker can give every chunk its exact rows; a gap of more than MAX_BLANK_ROWS_IN_SECTION
 * blank rows ends the section instead (a row range never spans a large empty area). Rows above
 * the header (titles, notes) are written as they are, the header as its names, every row
 * below it as "Header: value" pairs.
 */
export function addRowSections(sheet: string, rows: Iterable<Row>, out: SectionCollector): void {
  const iterator = rows[Symbol.iterator]();
  const head: Row[] = [];
  while (head.length < HEADER_SCAN_ROWS) {
    const next = iterator.next();
    if (next.done) break;
    head.push(next.value);
  }
  const headerAt = findHeaderRow(head);
  const header = headerAt >= 0 ? head[headerAt].cells : null;
  let lines: string[] = [];
  let start = 0;
  let end = 0;
  let count = 0;
  const flush = () => {
    if (lines.length > 0) out.add({ text: lines.join('\n'), sheet, rowStart: start, rowEnd: end });
    lines = [];
    count = 0;
  };
  const write = (row: Row, index: number) => {
    if (lines.length > 0 && row.row - end - 1 > MAX_BLANK_ROWS_IN_SECTION) flush();
    if (lines.length === 0) start = row.row;
    else for (let blank = end + 1; blank < row.row; blank++) lines.push('');
    end = row.row;
    if (index === headerAt) {
      // The header alone is a line too (a sheet with only a header row is not lost); it does
      // not count against the section's rows, so the first section holds as many data rows.
      lines.push(row.cells.filter((c) => c !== '').join('\t'));
      return;
    }
    lines.push(header === null || index < headerAt ? plainLine(row.cells) : pairsLine(header, row.cells));
    count++;
    if (count >= ROWS_PER_SECTION) flush();
  };
  let index = 0;
  for (const row of head) write(row, index++);
  for (let next = iterator.next(); !next.done; next = iterator.next()) write(next.value, index++);
  flush();
}
