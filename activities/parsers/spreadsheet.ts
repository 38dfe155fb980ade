/**
 * XLSX, XLS and ODS through SheetJS.
 *
 * SheetJS comes from '@e965/xlsx', a republication of SheetJS CE 0.20.3: it carries the fixes
 * for CVE-2023-30533 (prototype pollution) and CVE-2024-22363 (ReDoS) that the stale npm
 * `xlsx` 0.18.5 lacks. Read options keep it cheap and inert: dense sheets, no formulas, styles,
 * HTML, VBA or number-format tables, and `sheetRows` so no sheet can materialise more than
 * maxRows + 1 rows. Before any cell is visited, the declared extents (the sheet's `<dimension>`
 * range, which SheetJS keeps in `!fullref` when sheetRows truncates, and every merge) are
 * checked against maxRows/maxCells: a 2 KB file declaring a merge over the whole grid fails in
 * milliseconds instead of driving a 17-billion-cell loop. XLSX parts declaring a DTD are refused
 * as `corrupt` (xml-guard), like DOCX.
 */
import * as XLSX from '@e965/xlsx';
import * as cptable from '@e965/xlsx/dist/cpexcel.full.mjs';
import { DocumentError, type DocFormat } from '../../core/formats.js';
import type { FormatParser, ParseLimits } from './types.js';
import { SectionCollector } from './collect.js';
import { addRowSections, cleanCell, type Row } from './rows.js';
import { assertNoXmlDeclarations } from './xml-guard.js';
import { checkOdsPackage, trimOdsRanges } from './ods.js';

// Legacy BIFF5 files store text in Windows code pages; BIFF8 and OOXML are Unicode.
XLSX.set_cptable(cptable);

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

function* sheetRows(sheet: XLSX.WorkSheet): Generator<Row> {
  const data = sheet['!data'] as XLSX.CellObject[][] | undefined;
  if (!data) return;
  for (let r = 0; r < data.length; r++) {
    const row = data[r];
    if (!row) continue;
    const cells: string[] = new Array<string>(row.length).fill('');
    let any = false;
    for (let c = 0; c < row.length; c++) {
      const cell = row[c];
      if (!cell || cell.t === 'e' || cell.t === 'z') continue;
      const raw = cell.w ?? (cell.v === undefined || cell.v === null ? '' : String(cell.v));
      const text = cleanCell(raw);
      cells[c] = text;
      if (text !== '') any = true;
    }
    if (any) yield { row: r + 1, cells };
  }
}

function readWorkbook(bytes: Uint8Array, limits: ParseLimits): XLSX.WorkBook {
  try {
    return XLSX.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
      type: 'buffer',
      dense: true,
      sheetRows: limits.maxRows + 1,
      cellFormula: false,
      cellHTML: false,
      cellStyles: false,
      cellNF: false,
      cellDates: false,
      sheetStubs: false,
      bookVBA: false,
      bookDeps: false,
      bookFiles: false,
      bookProps: false,
      WTF: false,
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/password/i.test(message)) {
      throw new DocumentError('encrypted', 'The spreadsheet is password-protected.');
    }
    if (err instanceof RangeError) throw err;
    throw new DocumentError('corrupt', `The spreadsheet could not be read: ${message.slice(0, 200)}`);
  }
}

function makeParser(format: Extract<DocFormat, 'xlsx' | 'xls' | 'ods'>): FormatParser {
  return async (bytes, limits) => {
    // SheetJS does not expand custom entities, but a DTD in an OOXML or ODF part is never legitimate.
    if (format === 'xlsx' || format === 'ods') await assertNoXmlDeclarations(bytes);
    if (format === 'ods') await checkOdsPackage(bytes, limits);
    const workbook = readWorkbook(bytes, limits);
    if (format === 'ods') trimOdsRanges(workbook);
    checkDeclaredSize(workbook, limits);
    const out = new SectionCollector(limits.maxChars);
    for (const name of workbook.SheetNames) {
      const sheet = workbook.Sheets[name];
      if (!sheet) continue;
      addRowSections(cleanCell(name) || name, sheetRows(sheet), out);
    }
    return out.finish(format, { pageCount: workbook.SheetNames.length });
  };
}

/** Parser for .xlsx uploads. */
export const parseXlsx: FormatParser = makeParser('xlsx');
/** Parser for .xls (BIFF) uploads; same reader, different container. */
export const parseXls: FormatParser = makeParser('xls');
/** Parser for .ods (OpenDocument) uploads; SheetJS reads them into the same workbook shape. */
export const parseOds: FormatParser = makeParser('ods');
