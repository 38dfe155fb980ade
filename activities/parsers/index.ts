/**
 * The parser registry the parse child dispatches on, and the default limits.
 * Parsers expect bytes whose format was already decided by detect.ts (content, not name).
 *
 * Each parser module is imported on first use: the worker process imports this file for
 * DEFAULT_PARSE_LIMITS and must not pay for pdf.js, SheetJS, htmlparser2 and postal-mime it never runs (they
 * run only in parse children, which preload them).
 */
import type { FormatParser, ParseLimits, ParserRegistry } from './types.js';

const loaders: (() => Promise<unknown>)[] = [];

function lazy(load: () => Promise<FormatParser>): FormatParser {
  let parser: Promise<FormatParser> | undefined;
  const get = () =>
    (parser ??= load().catch((err: unknown) => {
      parser = undefined; // a failed import is retried, never cached
      throw err;
    }));
  loaders.push(get);
  return async (bytes, limits, context) => (await get())(bytes, limits, context);
}

/** One parser per accepted format; the Record type makes a missing format a compile error. */
export const parserRegistry: ParserRegistry = {
  pdf: lazy(async () => (await import('./pdf.js')).parsePdf),
  docx: lazy(async () => (await import('./docx.js')).parseDocx),
  xlsx: lazy(async () => (await import('./spreadsheet.js')).parseXlsx),
  xls: lazy(async () => (await import('./spreadsheet.js')).parseXls),
  csv: lazy(async () => (await import('./csv.js')).parseCsv),
  txt: lazy(async () => (await import('./text.js')).parseText),
  md: lazy(async () => (await import('./markdown.js')).parseMarkdown),
  png: lazy(async () => (await import('./image.js')).parsePng),
  jpeg: lazy(async () => (await import('./image.js')).parseJpeg),
  tiff: lazy(async () => (await import('./image.js')).parseTiff),
  pptx: lazy(async () => (await import('./pptx.js')).parsePptx),
  html: lazy(async () => (await import('./html.js')).parseHtml),
  odt: lazy(async () => (await import('./odt.js')).parseOdt),
  ods: lazy(async () => (await import('./spreadsheet.js')).parseOds),
  epub: lazy(async () => (await import('./epub.js')).parseEpub),
  // A message's text attachments go through this same registry, each by its own format's parser.
  eml: lazy(async () => (await import('./eml.js')).createEmlParser((bytes, format, limits) => parserRegistry[format](bytes, limits))),
  rtf: lazy(async () => (await import('./rtf.js')).parseRtf),
};

/** Loads every parser now; parse children call it before reporting ready, so a broken install fails at startup, not as "corrupt" documents. */
export async function preloadParsers(): Promise<void> {
  await Promise.all(loaders.map((load) => load()));
}

/**
 * Defaults sized for a parse child with ~1 GB of memory: 10,000 PDF pages (pages are read in
 * ranges, so memory follows the text, not the page count; MAX_PDF_PAGES overrides); 200,000 spreadsheet
 * rows and 2,000,000 declared cells across all sheets (SheetJS holds every cell in memory);
 * 20 million characters of text (about 10,000 pages of prose), beyond which embedding cost,
 * not parsing, is the problem.
 */
export const DEFAULT_PARSE_LIMITS: ParseLimits = Object.freeze({
  maxPages: 10_000,
  maxRows: 200_000,
  maxCells: 2_000_000,
  maxChars: 20_000_000,
});
