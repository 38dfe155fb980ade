/**
 * One spreadsheet cell (a SheetJS cell object) to the text a reader of the sheet sees, with
 * three corrections to SheetJS's own formatted text (`w`), each a way a RAG index went wrong:
 *
 *  - Dates in the workbook's default date format (built-in formats 14 "m/d/yy" and 22
 *    "m/d/yy h:mm", which Excel shows in the reader's locale) become ISO 8601 with a four-digit
 *    year: SheetJS renders them "1/8/47", losing the century and the day/month order. A date
 *    with a format the author chose (custom or another built-in) keeps that format: the cell's
 *    own format says how it should read. The workbook's date system (1900 or 1904) is honoured.
 *  - Error values (#N/A, #DIV/0!, ...) are kept as their text, not dropped: "#N/A" in a price
 *    column says something.
 *  - A number whose format renders no digit at all (accounting formats show zero as "-", a
 *    format with an empty zero section shows nothing) is written in the General format, so
 *    zeros stay zeros.
 */
import * as XLSX from '@e965/xlsx';
import { cleanCell } from './rows.js';

/** What a cell needs from its workbook to be read right. */
export interface CellContext {
  /** The workbook uses the 1904 date system (serial 0 = 1904-01-01), as old Mac Excel files do. */
  date1904: boolean;
}

const FORMAT_TABLE = XLSX.SSF.get_table() as Record<number, string | undefined>;
/** Built-in formats that mean "a date (and time) the way this reader's locale writes it". */
const DEFAULT_DATE = new Set([FORMAT_TABLE[14], FORMAT_TABLE[14]?.toUpperCase()].filter((f): f is string => !!f));
const DEFAULT_DATE_TIME = new Set([FORMAT_TABLE[22], FORMAT_TABLE[22]?.toUpperCase()].filter((f): f is string => !!f));

/** Excel's error codes as stored in BIFF and by SheetJS, with their displayed text. */
const ERRORS: Record<number, string> = {
  0x00: '#NULL!',
  0x07: '#DIV/0!',
  0x0f: '#VALUE!',
  0x17: '#REF!',
  0x1d: '#NAME?',
  0x24: '#NUM!',
  0x2a: '#N/A',
  0x2b: '#GETTING_DATA',
};

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** ISO 8601 date (and minutes when `withTime`) of an Excel serial, or null when the serial is no date. */
export function isoFromSerial(serial: number, date1904: boolean, withTime: boolean): string | null {
  if (!Number.isFinite(serial) || serial < 0) return null;
  const parts = XLSX.SSF.parse_date_code(serial, { date1904 });
  if (!parts || !Number.isFinite(parts.y) || parts.y < 1 || parts.y > 9999) return null;
  const date = `${pad(parts.y, 4)}-${pad(parts.m)}-${pad(parts.d)}`;
  return withTime ? `${date} ${pad(parts.H)}:${pad(parts.M)}` : date;
}

function isoFromDate(value: Date, withTime: boolean): string | null {
  if (Number.isNaN(value.getTime())) return null;
  const date = `${pad(value.getFullYear(), 4)}-${pad(value.getMonth() + 1)}-${pad(value.getDate())}`;
  return withTime ? `${date} ${pad(value.getHours())}:${pad(value.getMinutes())}` : date;
}

const HAS_DIGIT = /\d/;

function numberText(cell: XLSX.CellObject, ctx: CellContext): string {
  const value = cell.v as number;
  const format = typeof cell.z === 'string' ? cell.z : undefined;
  if (format && (DEFAULT_DATE.has(format) || DEFAULT_DATE_TIME.has(format))) {
    const iso = isoFromSerial(value, ctx.date1904, DEFAULT_DATE_TIME.has(format));
    if (iso) return iso;
  }
  const shown = cell.w ?? XLSX.SSF.format('General', value);
  return HAS_DIGIT.test(shown) ? shown : XLSX.SSF.format('General', value);
}

/** The cell's text on one line (see the module comment); '' for empty cells. */
export function cellText(cell: XLSX.CellObject | undefined | null, ctx: CellContext): string {
  if (!cell) return '';
  switch (cell.t) {
    case 'z':
      return '';
    case 'e':
      return cleanCell(cell.w ?? ERRORS[cell.v as number] ?? '#ERROR');
    case 'n':
      return typeof cell.v === 'number' ? cleanCell(numberText(cell, ctx)) : cleanCell(cell.w ?? '');
    case 'd': {
      const format = typeof cell.z === 'string' ? cell.z : undefined;
      const byDefault = !format || DEFAULT_DATE.has(format) || DEFAULT_DATE_TIME.has(format);
      const iso = byDefault && cell.v instanceof Date ? isoFromDate(cell.v, DEFAULT_DATE_TIME.has(format ?? '')) : null;
      return cleanCell(iso ?? cell.w ?? String(cell.v ?? ''));
    }
    default:
      return cleanCell(cell.w ?? (cell.v === undefined || cell.v === null ? '' : String(cell.v)));
  }
}
