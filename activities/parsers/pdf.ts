/**
 * PDF through pdf-parse 2 (pdf.js 5 underneath): one section per page, with its page number.
 *
 * Pages are read one at a time in ranges of PAGE_RANGE: each page's text items are put in reading
 * order (pdf-layout.ts: columns one after the other, tables row by row, right-to-left words
 * whole), the page is released, and after every range pdf.js drops its caches (fonts, parsed
 * resources), so memory follows the range and the text, not the page count; a 5,000-page
 * manual stays well within the parse child's cap. `maxPages` (MAX_PDF_PAGES) is checked from
 * the page count before any page is read.
 *
 * A page without a text layer (a scan, a vector-drawn sheet) is rendered with poppler's
 * pdftoppm and read by Tesseract (ocr.ts); its section carries `ocrConfidence`. Pages OCR cannot
 * read with confidence count as empty, so a scan of noise still ends `no_extractable_text`.
 *
 * pdf.js settings: `isEvalSupported: false` (no `new Function` for PostScript functions),
 * no system fonts, no font faces, no worker fetches, no XFA. The bytes are passed as `data`,
 * so pdf.js never opens a URL; in Node it runs its "fake worker" on the main thread (it imports
 * the bundled pdf.worker.mjs from disk, no worker thread, no network), which is what we want
 * inside a parse child process whose memory and time the pool already polices.
 *
 * Before pdf.js runs, pdf-inflate-guard refuses flate bombs (`resource_limit`) by inflating
 * natively against a budget; the pool's RSS cap backstops every other way to exhaust memory.
 *
 * Encryption decision: a PDF that needs a *user* password fails with `encrypted`. A PDF with
 * only an *owner* password (empty user password: permissions such as "no copy" but readable
 * by anyone) opens and is indexed, exactly as every viewer opens it; the owner restrictions
 * are advisory and the uploader already holds the content.
 */
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PDFParse } from 'pdf-parse';
import { DocumentError } from '../../core/formats.js';
import type { FormatParser, ParseContext } from './types.js';
import { sanitizeText } from './encoding.js';
import { SectionCollector } from './collect.js';
import { assertInflateBudget } from './pdf-inflate-guard.js';
import { pageTextInReadingOrder, type PdfTextItem } from './pdf-layout.js';
import { recognizePdfPages, requireOcr } from './ocr.js';

/** Pages read between two releases of pdf.js's caches. */
export const PAGE_RANGE = 100;

/** The parts of pdf.js's document and page proxies this parser uses. */
interface PdfPage {
  getTextContent(): Promise<{ items: (PdfTextItem | { type: string })[] }>;
  getOperatorList(): Promise<{ fnArray: number[]; argsArray: unknown[][] }>;
  cleanup(): boolean;
}
interface PdfDocument {
  numPages: number;
  getPage(pageNumber: number): Promise<PdfPage>;
  cleanup(): Promise<void>;
}

/** Maps pdf-parse's error classes (matched by name, they are re-created per call) to reason codes. */
export function classifyPdfError(err: unknown): unknown {
  if (err instanceof DocumentError || !(err instanceof Error)) return err;
  switch (err.name) {
    case 'PasswordException':
      return new DocumentError('encrypted', 'The PDF is protected by a password.');
    case 'InvalidPDFException':
    case 'FormatError':
    case 'UnknownErrorException':
      return new DocumentError('corrupt', `The PDF structure is broken: ${err.message.slice(0, 200)}`);
    default:
      return err;
  }
}

async function pageText(doc: PdfDocument, pageNumber: number): Promise<string> {
  const page = await doc.getPage(pageNumber);
  try {
    const content = await page.getTextContent();
    const items = content.items.filter((item): item is PdfTextItem => 'str' in item);
    return sanitizeText(pageTextInReadingOrder(items));
  } finally {
    page.cleanup();
  }
}

// pdf.js operator codes (OPS) that put marks on a page: stroke .. closeEOFillStroke, shadingFill,
// and the image painters; constructPath carries its painting operator as its first argument.
const PAINT_OPS = new Set([20, 21, 22, 23, 24, 25, 26, 27, 62, 83, 84, 85, 86, 87, 88, 89, 90]);
const CONSTRUCT_PATH = 91;
/** Text-less pages examined for marks when OCR is off (the answer only picks the failure reason). */
const MARK_CHECK_PAGES = 20;

/** Whether a page draws anything (an image, a filled or stroked path): a blank page needs no OCR. */
async function pageHasMarks(doc: PdfDocument, pageNumber: number): Promise<boolean> {
  const page = await doc.getPage(pageNumber);
  try {
    const { fnArray, argsArray } = await page.getOperatorList();
    return fnArray.some((fn, i) => PAINT_OPS.has(fn) || (fn === CONSTRUCT_PATH && PAINT_OPS.has(argsArray[i]?.[0] as number)));
  } finally {
    page.cleanup();
  }
}

/** OCR of the text-less pages; pdftoppm reads a file, so bytes without one are written to a temporary file. */
async function ocrPages(bytes: Uint8Array, pages: number[], context: ParseContext) {
  const ocr = requireOcr(context.ocr);
  if (context.filePath) return recognizePdfPages(context.filePath, pages, ocr);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'docflow-pdf-'));
  try {
    const file = path.join(dir, 'document.pdf');
    await writeFile(file, bytes);
    return await recognizePdfPages(file, pages, ocr);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Parser for .pdf uploads. */
export const parsePdf: FormatParser = async (bytes, limits, context = {}) => {
  await assertInflateBudget(bytes);
  const parser = new PDFParse({
    // pdf.js transfers (detaches) the buffer it is given; keep the bytes when OCR may need to
    // write them out for pdftoppm, which reads files (with a file path it reads that instead).
    data: context.filePath || !context.ocr?.enabled ? bytes : bytes.slice(),
    isEvalSupported: false,
    useSystemFonts: false,
    disableFontFace: true,
    useWorkerFetch: false,
    enableXfa: false,
    disableAutoFetch: true,
    disableStream: true,
    verbosity: 0,
  });
  try {
    // `load` is private in the typings but is what getText/getInfo call first; using it alone
    // learns the page count without walking outlines or metadata of a possibly hostile file.
    const doc = await (parser as unknown as { load(): Promise<PdfDocument> }).load();
    if (doc.numPages > limits.maxPages) {
      throw new DocumentError(
        'too_many_pages',
        `The PDF has ${doc.numPages.toLocaleString('en-US')} pages; the limit is ${limits.maxPages.toLocaleString('en-US')} (MAX_PDF_PAGES).`,
      );
    }
    const out = new SectionCollector(limits.maxChars);
    const withoutText: number[] = [];
    for (let first = 1; first <= doc.numPages; first += PAGE_RANGE) {
      const last = Math.min(doc.numPages, first + PAGE_RANGE - 1);
      for (let page = first; page <= last; page++) {
        const text = await pageText(doc, page);
        if (text.trim() === '') withoutText.push(page);
        else out.add({ text, page });
      }
      await doc.cleanup();
    }
    if (withoutText.length > 0 && context.ocr?.enabled) {
      for (const [page, read] of await ocrPages(bytes, withoutText, context)) {
        out.add({ text: sanitizeText(read.text), page, ocrConfidence: read.confidence });
      }
    } else if (withoutText.length === doc.numPages) {
      // OCR is off and nothing has a text layer: say OCR is what is missing, unless every page is blank.
      for (const page of withoutText.slice(0, MARK_CHECK_PAGES)) {
        if (await pageHasMarks(doc, page)) requireOcr(context.ocr);
      }
    }
    // With OCR off, text-less pages of a document that has text elsewhere are left out.
    const parsed = out.finish('pdf', { pageCount: doc.numPages });
    parsed.sections.sort((x, y) => (x.page ?? 0) - (y.page ?? 0));
    return parsed;
  } catch (err) {
    throw classifyPdfError(err);
  } finally {
    await parser.destroy().catch(() => undefined);
  }
};
