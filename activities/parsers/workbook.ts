/**
 * A SheetJS workbook to a ParsedDocument, whatever file it was read from (XLSX, XLS, and any
 * other format SheetJS reads, such as ODS): the one sheet pipeline every spreadsheet goes through.
 *
 * 1. Declared extents (the sheet's `<dimension>` range, which SheetJS keeps in `!fullref` when
 *    sheetRows truncates, and every merge) are checked against maxRows/maxCells before any cell
 *    is visited: a 2 KB file declaring a merge over the whole grid fails in milliseconds instead
 *    of driving a 17-billion-cell loop.
 * 2. Hidden and very hidden sheets are skipped, or indexed with " (hidden)" after the sheet name
 *    when `limits.hiddenSheets` is 'mark': text nobody sees in Excel is never indexed unmarked.
 * 3. A merged range's value is repeated in every row the merge spans (in its first column), so a
 *    row label merged over five rows labels all five.
 * 4. Cells become text with sheet-cells.ts (ISO dates, error values, zeros) and rows become
 *    sections with rows.ts (header below titles, "Header: value" lines, exact row ranges).
 */
import * as XLSX from '@e965/xlsx';
import { DocumentError, type DocFormat } from '../../core/formats.js';
import type { ParsedDocument } from '../../core/parsed.js';
import type { HiddenSheetPolicy, ParseLimits } from './types.js';
import { SectionCollector } from './collect.js';
import { addRowSections, cleanCell, type Row } from './rows.js';
import { cellText, type CellContext } from './sheet-cells.js';

/** Appended to the name of a hidden sheet indexed under the 'mark' policy. */
export const HIDDEN_SHEET_MARK = ' (hidden)';

interface Extent {
  rows: number;
  cols: number;
}

function tooBig(message: string): DocumentError {
  return new DocumentError('limit_exceeded', message);
}

function extentOf(sheet: XLSX.WorkSheet): Extent {
  // Union of what the file declares (!fullref) and what SheetJS saw (!ref): either may lie.
  const refs = [sheet['!fullref'] as string | undefined, sheet['!ref']].filter((r): r is string => !!r);
  let r0 = Infinity;
  let c0 = Infinity;
  let r1 = -1;
  let c1 = -1;
  for (const ref of refs) {
    const range = XLSX.utils.decode_range(ref);
    r0 = Math.min(r0, range.s.r);
    c0 = Math.min(c0, range.s.c);
    r1 = Math.max(r1, range.e.r);
    c1 = Math.max(c1, range.e.c);
  }
  for (const merge of sheet['!merges'] ?? []) {
    r0 = Math.min(r0, merge.s.r);
    c0 = Math.min(c0, merge.s.c);
    r1 = Math.max(r1, merge.e.r);
    c1 = Math.max(c1, merge.e.c);
  }
  if (r1 < 0 || c1 < 0) return { rows: 0, cols: 0 };
  return { rows: r1 - Math.max(0, r0) + 1, cols: c1 - Math.max(0, c0) + 1 };
}

/** Refuses workbooks whose declared ranges or merges exceed the limits; runs before any cell is read. */
export function checkDeclaredSize(workbook: XLSX.WorkBook, limits: Pick<ParseLimits, 'maxRows' | 'maxCells'>): void {
  let rows = 0;
  let cells = 0;
  for (const name of workbook.SheetNames) {
    const sheet = workbook.Sheets[name];
    if (!sheet) continue;
    const extent = extentOf(sheet);
    rows += extent.rows;
    cells += extent.rows * extent.cols;
    if (rows > limits.maxRows) {
      throw tooBig(`The spreadsheet declares more than ${limits.maxRows.toLocaleString('en-US')} rows (sheet "${name}").`);
    }
    if (cells > limits.maxCells) {
      throw tooBig(`The spreadsheet declares more than ${limits.maxCells.toLocaleString('en-US')} cells (sheet "${name}").`);
    }
  }
}

/** Repeats each merged range's value down the rows it spans; bounded by the rows actually read. */
function fillMergesDown(data: XLSX.CellObject[][], merges: XLSX.Range[]): void {
  for (const merge of merges) {
    const top = data[merge.s.r]?.[merge.s.c];
    if (!top) continue;
    const last = Math.min(merge.e.r, data.length - 1);
    for (let r = merge.s.r + 1; r <= last; r++) {
      const row = (data[r] ??= []);
      if (!row[merge.s.c]) row[merge.s.c] = top;
    }
  }
}

function* sheetRows(sheet: XLSX.WorkSheet, ctx: CellContext): Generator<Row> {
  const data = sheet['!data'] as XLSX.CellObject[][] | undefined;
  if (!data) return;
  fillMergesDown(data, sheet['!merges'] ?? []);
  for (let r = 0; r < data.length; r++) {
    const row = data[r];
    if (!row) continue;
    const cells: string[] = new Array<string>(row.length).fill('');
    let any = false;
    for (let c = 0; c < row.length; c++) {
      const text = cellText(row[c], ctx);
      cells[c] = text;
      if (text !== '') any = true;
    }
    if (any) yield { row: r + 1, cells };
  }
}

/** Whether sheet `index` is hidden (1) or very hidden (2) in the workbook's sheet list. */
function isHidden(workbook: XLSX.WorkBook, index: number): boolean {
  return (workbook.Workbook?.Sheets?.[index]?.Hidden ?? 0) !== 0;
}

/**
 * The sections of every sheet of `workbook`, in workbook order, as a document of `format`.
 * The workbook must have been read with dense sheets (`dense: true`) and number formats
 * (`cellNF: true`), which the date rules need.
 */
export function workbookToDocument(workbook: XLSX.WorkBook, format: DocFormat, limits: ParseLimits): ParsedDocument {
  checkDeclaredSize(workbook, limits);
  const policy: HiddenSheetPolicy = limits.hiddenSheets ?? 'skip';
  const ctx: CellContext = { date1904: Boolean(workbook.Workbook?.WBProps?.date1904) };
  const out = new SectionCollector(limits.maxChars);
  const skipped: string[] = [];
  workbook.SheetNames.forEach((name, index) => {
    const sheet = workbook.Sheets[name];
    if (!sheet) return;
    const label = cleanCell(name) || name;
    if (!isHidden(workbook, index)) return addRowSections(label, sheetRows(sheet, ctx), out);
    if (policy === 'mark') return addRowSections(label + HIDDEN_SHEET_MARK, sheetRows(sheet, ctx), out);
    skipped.push(label);
  });
  if (out.size() === 0 && skipped.length > 0) {
    throw new DocumentError(
      'no_extractable_text',
      `Only hidden sheets (${skipped.slice(0, 5).join(', ')}) could hold text, and hidden sheets are not indexed (SPREADSHEET_HIDDEN_SHEETS=skip).`,
    );
  }
  return out.finish(format, { pageCount: workbook.SheetNames.length });
}
