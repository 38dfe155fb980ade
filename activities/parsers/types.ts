/**
 * Contract between the parse activity and the format parsers.
 * A parser receives the file bytes it is allowed to read and returns structured text,
 * or throws DocumentError with a reason code for files that can never parse.
 */
import type { DocFormat } from '../../core/formats.js';
import type { ParsedDocument } from '../../core/parsed.js';

/** What spreadsheet parsers do with hidden and very hidden sheets (SPREADSHEET_HIDDEN_SHEETS). */
export const HIDDEN_SHEET_POLICIES = ['skip', 'mark'] as const;
export type HiddenSheetPolicy = (typeof HIDDEN_SHEET_POLICIES)[number];

export interface ParseLimits {
  /** PDF pages above this fail with too_many_pages. */
  maxPages: number;
  /** Spreadsheet rows (all sheets) above this fail with limit_exceeded. */
  maxRows: number;
  /** Spreadsheet cells (all sheets, from the declared ranges) above this fail with limit_exceeded. */
  maxCells: number;
  /** Hidden spreadsheet sheets: left out ('skip', the default) or indexed with a marker ('mark'). */
  hiddenSheets?: HiddenSheetPolicy;
  /** Extracted characters above this fail with limit_exceeded. */
  maxChars: number;
}

export type FormatParser = (bytes: Uint8Array, limits: ParseLimits) => Promise<ParsedDocument>;

export type ParserRegistry = Record<DocFormat, FormatParser>;
