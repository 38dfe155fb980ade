/**
 * PDF through pdf-parse 2 (pdf.js 5 underneath): one section per page, with its page number.
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
import { PDFParse } from 'pdf-parse';
import { DocumentError } from '../../core/formats.js';
import type { FormatParser } from './types.js';
import { sanitizeText } from './encoding.js';
import { SectionCollector } from './collect.js';
import { assertInflateBudget } from './pdf-inflate-guard.js';

interface LoadedDoc {
  numPages: number;
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

/** Parser for .pdf uploads. */
export const parsePdf: FormatParser = async (bytes, limits) => {
  await assertInflateBudget(bytes);
  const parser = new PDFParse({
    data: bytes,
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
    const doc = await (parser as unknown as { load(): Promise<LoadedDoc> }).load();
    if (doc.numPages > limits.maxPages) {
      throw new DocumentError('too_many_pages', `The PDF has ${doc.numPages.toLocaleString('en-US')} pages; the limit is ${limits.maxPages.toLocaleString('en-US')}.`);
    }
    const result = await parser.getText({ pageJoiner: '' });
    const out = new SectionCollector(limits.maxChars);
    for (const page of result.pages) {
      out.add({ text: sanitizeText(page.text), page: page.num });
    }
    return out.finish('pdf', { pageCount: doc.numPages });
  } catch (err) {
    throw classifyPdfError(err);
  } finally {
    await parser.destroy().catch(() => undefined);
  }
};
