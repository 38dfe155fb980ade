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

/** How scanned pages and images are read (Tesseract, with pages rendered by poppler's pdftoppm). */
export interface OcrOptions {
  /** Off: documents that need OCR fail with `ocr_unavailable`. */
  enabled: boolean;
  /** Tesseract language list, e.g. `eng+ita`. */
  languages: string;
  /** A page whose words' mean confidence (0..100) is below this is treated as having no text. */
  minConfidence: number;
}

/** What a parser may use besides the bytes; optional, so parsers that need neither ignore it. */
export interface ParseContext {
  /** The stored file the bytes came from, for tools that read files (pdftoppm). */
  filePath?: string;
  /** Absent: OCR off. */
  ocr?: OcrOptions;
}

export type FormatParser = (bytes: Uint8Array, limits: ParseLimits, context?: ParseContext) => Promise<ParsedDocument>;

export type ParserRegistry = Record<DocFormat, FormatParser>;
