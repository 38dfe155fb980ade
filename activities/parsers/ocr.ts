/**
 * OCR with Tesseract, for PDF pages without a text layer and for image uploads.
 *
 * The tools run as child processes of the parse child, in its process group: the pool measures
 * the whole group's memory against the parse memory cap and kills the whole group at the time
 * limit, so OCR lives under the same limits as every other parse. Tesseract is held to one
 * thread (OMP_THREAD_LIMIT=1): parse children already run in parallel, and one thread keeps its
 * memory predictable.
 *
 * Tesseract's TSV output gives every word with its confidence (0..100). A page is kept only when
 * it has words and their mean confidence reaches `minConfidence`: pure noise either yields no
 * words or a few low-confidence ones, and must end `no_extractable_text`, not as garbage chunks.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DocumentError } from '../../core/formats.js';
import type { OcrOptions } from './types.js';

/** Resolution pages are rendered at for OCR: Tesseract's sweet spot for body text. */
export const OCR_DPI = 300;
/** Most that one tool may write to stdout (TSV of a dense page is ~100 KB). */
const MAX_TOOL_OUTPUT = 64 * 1024 * 1024;
/** A rendered page with fewer dark pixels than this share is blank and not sent to Tesseract. */
const BLANK_DARK_SHARE = 0.0002;

/** Text Tesseract read on one page (1-based; images have one page, TIFFs may have several). */
export interface OcrPage {
  page: number;
  text: string;
  /** Mean word confidence, 0..100, rounded to one decimal. */
  confidence: number;
  words: number;
}

function unavailable(detail: string): DocumentError {
  return new DocumentError('ocr_unavailable', `This document needs OCR, which is not available on this server: ${detail}.`);
}

/** Checks the options before any tool runs: OCR off is a clear, specific failure. */
export function requireOcr(ocr: OcrOptions | undefined): OcrOptions {
  if (!ocr?.enabled) throw unavailable('OCR is turned off (OCR_ENABLED=false, or Tesseract is not installed)');
  return ocr;
}

/** Runs a tool to completion and returns its stdout; a missing tool is `ocr_unavailable`. */
export function runTool(command: string, args: string[], input?: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      // A minimal environment: no secrets of the worker reach the tools; TESSDATA_PREFIX is kept
      // for installations whose language data is not in the default place.
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        OMP_THREAD_LIMIT: '1',
        LANG: 'C.UTF-8',
        ...(process.env.TESSDATA_PREFIX ? { TESSDATA_PREFIX: process.env.TESSDATA_PREFIX } : {}),
      },
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    let errTail = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > MAX_TOOL_OUTPUT) child.kill('SIGKILL');
      else out.push(chunk);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      errTail = (errTail + chunk.toString('utf8')).slice(-2000);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'ENOENT' ? unavailable(`${command} is not installed`) : err);
    });
    child.on('close', (code, signal) => {
      if (code === 0) return resolve(Buffer.concat(out));
      const why = errTail.trim().split('\n').slice(-2).join(' ').slice(0, 300);
      if (/Failed loading language|Could not initialize tesseract/i.test(errTail)) {
        return reject(unavailable(`Tesseract cannot load the languages asked for (${why})`));
      }
      reject(new DocumentError('corrupt', `${command} could not read the image (${signal ?? `exit code ${code}`}): ${why}`));
    });
    if (input) {
      child.stdin!.on('error', () => undefined); // the tool may exit before reading everything
      child.stdin!.end(input);
    }
  });
}

/** Whether a binary PGM (P5, 8-bit) has almost no dark pixels. */
export function isBlankPgm(pgm: Buffer): boolean {
  const header = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(pgm.subarray(0, 64).toString('latin1'));
  if (!header || Number(header[3]) > 255) return false;
  const start = header[0].length;
  const pixels = pgm.length - start;
  let dark = 0;
  for (let i = start; i < pgm.length; i++) if (pgm[i] < 128) dark++;
  return dark < pixels * BLANK_DARK_SHARE;
}

interface TsvWord {
  page: number;
  line: string;
  text: string;
  conf: number;
}

/** Parses Tesseract's TSV into pages of text (lines by newline, paragraphs by a blank line). */
export function pagesFromTsv(tsv: string): OcrPage[] {
  const words: TsvWord[] = [];
  for (const row of tsv.split('\n').slice(1)) {
    const cols = row.split('\t');
    if (cols.length < 12 || cols[0] !== '5') continue;
    const text = cols.slice(11).join(' ').trim();
    const conf = Number(cols[10]);
    if (!text || !Number.isFinite(conf) || conf < 0) continue;
    words.push({ page: Number(cols[1]), line: `${cols[2]}.${cols[3]}.${cols[4]}`, text, conf });
  }
  const pages = new Map<number, TsvWord[]>();
  for (const w of words) {
    const list = pages.get(w.page);
    if (list) list.push(w);
    else pages.set(w.page, [w]);
  }
  return [...pages.entries()].map(([page, list]) => {
    let text = '';
    for (let i = 0; i < list.length; i++) {
      if (i > 0) {
        const [prevBlock, prevPar] = list[i - 1].line.split('.');
        const [block, par] = list[i].line.split('.');
        if (prevBlock !== block || prevPar !== par) text += '\n\n';
        else text += list[i - 1].line === list[i].line ? ' ' : '\n';
      }
      text += list[i].text;
    }
    const confidence = list.reduce((sum, w) => sum + w.conf, 0) / list.length;
    return { page, text, confidence: Math.round(confidence * 10) / 10, words: list.length };
  });
}

/** Keeps the pages Tesseract read with enough confidence; the rest count as having no text. */
export function confidentPages(pages: OcrPage[], ocr: OcrOptions): OcrPage[] {
  return pages.filter((p) => p.words > 0 && p.confidence >= ocr.minConfidence);
}

/** Recognizes an image (a file path, or bytes sent on stdin); multi-page TIFFs give several pages. */
export async function recognize(image: { path: string } | { bytes: Uint8Array }, ocr: OcrOptions): Promise<OcrPage[]> {
  const input = 'path' in image ? image.path : 'stdin';
  const tsv = await runTool('tesseract', [input, 'stdout', '-l', ocr.languages, '--psm', '3', 'tsv'], 'bytes' in image ? image.bytes : undefined);
  return confidentPages(pagesFromTsv(tsv.toString('utf8')), ocr);
}

/**
 * Renders pages of a PDF file with pdftoppm (grey, OCR_DPI) and recognizes them one at a time,
 * so at most one page image exists at once. Blank renders skip Tesseract. Returns the pages
 * read with confidence, by page number.
 */
export async function recognizePdfPages(filePath: string, pages: number[], ocr: OcrOptions): Promise<Map<number, OcrPage>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'docflow-ocr-'));
  const read = new Map<number, OcrPage>();
  try {
    for (const page of pages) {
      const root = path.join(dir, `p${page}`);
      await runTool('pdftoppm', ['-r', String(OCR_DPI), '-gray', '-f', String(page), '-l', String(page), '-singlefile', filePath, root]);
      const file = `${root}.pgm`;
      const pgm = await readFile(file);
      if (!isBlankPgm(pgm)) {
        const [result] = await recognize({ path: file }, ocr);
        if (result) read.set(page, { ...result, page });
      }
      await rm(file, { force: true });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return read;
}
