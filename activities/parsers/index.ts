/**
 * The parser registry the parse child dispatches on, and the default limits.
 * Parsers expect bytes whose format was already decided by detect.ts (content, not name).
 */
import type { ParseLimits, ParserRegistry } from './types.js';
import { parsePdf } from './pdf.js';
import { parseDocx } from './docx.js';
import { parseXls, parseXlsx } from './spreadsheet.js';
import { parseCsv } from './csv.js';
import { parseText } from './text.js';
import { parseMarkdown } from './markdown.js';

/** One parser per accepted format; the Record type makes a missing format a compile error. */
export const parserRegistry: ParserRegistry = {
  pdf: parsePdf,
  docx: parseDocx,
  xlsx: parseXlsx,
  xls: parseXls,
  csv: parseCsv,
  txt: parseText,
  md: parseMarkdown,
};

/**
 * Defaults sized for a parse child with ~1 GB of memory: 2,000 PDF pages; 200,000 spreadsheet
 * rows and 2,000,000 declared cells across all sheets (SheetJS holds every cell in memory);
 * 20 million characters of text (about 10,000 pages of prose), beyond which embedding cost,
 * not parsing, is the problem.
 */
export const DEFAULT_PARSE_LIMITS: ParseLimits = Object.freeze({
  maxPages: 2_000,
  maxRows: 200_000,
  maxCells: 2_000_000,
  maxChars: 20_000_000,
});
