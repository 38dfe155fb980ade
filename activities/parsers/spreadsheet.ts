/**
 * XLSX, XLS and ODS through SheetJS: bytes to a workbook here, the workbook to sections in
 * workbook.ts (shared with every other format SheetJS reads).
 *
 * SheetJS comes from '@e965/xlsx', a republication of SheetJS CE 0.20.3: it carries the fixes
 * for CVE-2023-30533 (prototype pollution) and CVE-2024-22363 (ReDoS) that the stale npm
 * `xlsx` 0.18.5 lacks. Read options keep it cheap and inert: dense sheets, no formulas (their
 * cached values are read), styles, HTML, VBA or properties, and `sheetRows` so no sheet can
 * materialise more than maxRows + 1 rows. Number formats are kept (`cellNF`): the date rules
 * need to know which cells use the default date format. XLSX parts declaring a DTD are refused
 * as `corrupt` (xml-guard), like DOCX.
 */
import * as XLSX from '@e965/xlsx';
import * as cptable from '@e965/xlsx/dist/cpexcel.full.mjs';
import { DocumentError, type DocFormat } from '../../core/formats.js';
import type { FormatParser, ParseLimits } from './types.js';
import { workbookToDocument } from './workbook.js';
import { assertNoXmlDeclarations } from './xml-guard.js';
import { checkOdsPackage, trimOdsRanges } from './ods.js';

// Legacy BIFF5 files store text in Windows code pages; BIFF8 and OOXML are Unicode.
XLSX.set_cptable(cptable);

/** Reads a workbook the way workbookToDocument expects it; failures become reason codes. */
export function readWorkbook(bytes: Uint8Array, limits: ParseLimits): XLSX.WorkBook {
  try {
    return XLSX.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
      type: 'buffer',
      dense: true,
      sheetRows: limits.maxRows + 1,
      cellFormula: false,
      cellHTML: false,
      cellStyles: false,
      cellNF: true,
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
    return workbookToDocument(workbook, format, limits);
  };
}

/** Parser for .xlsx uploads. */
export const parseXlsx: FormatParser = makeParser('xlsx');
/** Parser for .xls (BIFF) uploads; same reader, different container. */
export const parseXls: FormatParser = makeParser('xls');
/** Parser for .ods (OpenDocument) uploads; SheetJS reads them into the same workbook shape. */
export const parseOds: FormatParser = makeParser('ods');
