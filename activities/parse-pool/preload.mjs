/**
 * Loaded with `--import` BEFORE tsx in every parse child (plain JS on purpose).
 *
 * Why: tsx rewrites every ES module it loads (dynamic-import shim plus a high-resolution source
 * map). For pdf.js's 2-3 MB bundles that transiently costs ~200 MB of RSS per child, which the
 * pool's RSS cap would then charge to the first document. Importing the heavy third-party
 * modules here, before tsx registers its hooks, loads them natively; the TypeScript parsers
 * later get the same cached module instances. Measured: ~140 MB RSS after parsing a PDF, DOCX
 * and XLSX, against ~360 MB without this preload.
 *
 * Importing pdf.js's worker module also sets `globalThis.pdfjsWorker`, so pdf.js runs its
 * "fake worker" on this thread from the start and never tries to import or spawn anything.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
// Resolve pdf.js from pdf-parse's own location: it is pdf-parse's dependency, not ours.
const pdfParseEntry = require.resolve('pdf-parse');
const fromPdfParse = createRequire(pdfParseEntry);

await import('pdf-parse');
await import(pathToFileURL(fromPdfParse.resolve('pdfjs-dist/legacy/build/pdf.worker.mjs')).href);
await import('@e965/xlsx');
await import('@e965/xlsx/dist/cpexcel.full.mjs');
await import('chardet');
await import('iconv-lite');
await import('yauzl');
await import('htmlparser2');
await import('postal-mime');
