/**
 * OCR: Tesseract's TSV, the image parsers and image-only PDF pages, with the real Tesseract and
 * pdftoppm (.ci/run installs them; elsewhere the tool-dependent tests skip and say why).
 */
import { describe, expect, it } from 'vitest';
import { makePdf } from '../../test/fixtures/documents.js';
import { reasonCodeOf } from '../../test/fixtures/errors.js';
import { imageOnlyPdf, missingOcrTools, noisePng, renderTextImage } from '../../test/fixtures/scans.js';
import { inOrderRecall } from '../../test/fixtures/text-recall.js';
import { parseJpeg, parsePng, parseTiff } from './image.js';
import { DEFAULT_PARSE_LIMITS } from './index.js';
import { isBlankPgm, pagesFromTsv } from './ocr.js';
import { parsePdf } from './pdf.js';
import type { OcrOptions } from './types.js';

const OCR: OcrOptions = { enabled: true, languages: 'eng+ita', minConfidence: 60 };
const LINES = [
  'The quarterly maintenance report describes how the turbine blades were inspected.',
  'Every technician signed the checklist before the wind farm restarted.',
  'Questo documento descrive la manutenzione delle pale della turbina.',
];
const missing = missingOcrTools();
if (missing.length > 0 && process.env.CI) throw new Error(`OCR tests need: ${missing.join(', ')}`);

describe('Tesseract TSV', () => {
  const tsv = [
    'level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext',
    '1\t1\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t',
    '5\t1\t1\t1\t1\t1\t0\t0\t10\t10\t96\tHello',
    '5\t1\t1\t1\t1\t2\t0\t0\t10\t10\t90\tworld',
    '5\t1\t1\t1\t2\t1\t0\t0\t10\t10\t80\tsecond',
    '5\t1\t2\t1\t1\t1\t0\t0\t10\t10\t70\tnext',
    '5\t1\t2\t1\t1\t2\t0\t0\t10\t10\t95\t ',
    '5\t2\t1\t1\t1\t1\t0\t0\t10\t10\t20\t~%',
  ].join('\n');

  it('rebuilds lines and paragraphs and averages word confidence per page', () => {
    expect(pagesFromTsv(tsv)).toEqual([
      { page: 1, text: 'Hello world\nsecond\n\nnext', confidence: 84, words: 4 },
      { page: 2, text: '~%', confidence: 20, words: 1 },
    ]);
  });

  it('tells a blank rendered page from one with marks', () => {
    const pgm = (pixels: number[]) => Buffer.concat([Buffer.from(`P5\n${pixels.length} 1\n255\n`, 'latin1'), Buffer.from(pixels)]);
    expect(isBlankPgm(pgm(Array(10_000).fill(255)))).toBe(true);
    expect(isBlankPgm(pgm([...Array(9_900).fill(255), ...Array(100).fill(0)]))).toBe(false);
  });
});

describe.skipIf(missing.length > 0)(`OCR with Tesseract${missing.length > 0 ? ` (skipped: ${missing.join(', ')} not installed)` : ''}`, () => {
  it.each([
    ['png', parsePng],
    ['jpeg', parseJpeg],
    ['tiff', parseTiff],
  ] as const)('reads a %s image, with page 1 and its confidence', async (format, parse) => {
    const doc = await parse(renderTextImage(LINES, format), DEFAULT_PARSE_LIMITS, { ocr: OCR });
    expect(doc.format).toBe(format);
    expect(doc.sections).toHaveLength(1);
    expect(doc.sections[0].page).toBe(1);
    expect(doc.sections[0].ocrConfidence).toBeGreaterThan(80);
    expect(inOrderRecall(LINES.join('\n'), doc.sections[0].text)).toBeGreaterThanOrEqual(0.95);
  });

  it('ends a noise image no_extractable_text', async () => {
    expect(await reasonCodeOf(parsePng(noisePng(), DEFAULT_PARSE_LIMITS, { ocr: OCR }))).toBe('no_extractable_text');
  });

  it('refuses an image whose header asks for too many pixels, before decoding', async () => {
    const huge = noisePng(8, 8);
    huge.writeUInt32BE(100_000, 16);
    huge.writeUInt32BE(100_000, 20);
    expect(await reasonCodeOf(parsePng(huge, DEFAULT_PARSE_LIMITS, { ocr: OCR }))).toBe('limit_exceeded');
  });

  it('fails with ocr_unavailable when OCR is off or its language is not installed', async () => {
    const image = renderTextImage(LINES, 'png');
    expect(await reasonCodeOf(parsePng(image, DEFAULT_PARSE_LIMITS))).toBe('ocr_unavailable');
    expect(await reasonCodeOf(parsePng(image, DEFAULT_PARSE_LIMITS, { ocr: { ...OCR, languages: 'xyz' } }))).toBe('ocr_unavailable');
  });

  it('reads the image-only pages of a PDF by OCR, next to its text pages, in page order', async () => {
    const scanned = await imageOnlyPdf([renderTextImage(LINES, 'png')]);
    const textPdf = makePdf(['A page with a real text layer.']);
    // Page 1: an image only; page 2: text. Built by copying pages with pdf-lib.
    const { PDFDocument } = await import('pdf-lib');
    const merged = await PDFDocument.create();
    for (const source of [scanned, textPdf]) {
      const src = await PDFDocument.load(source);
      for (const page of await merged.copyPages(src, src.getPageIndices())) merged.addPage(page);
    }
    const doc = await parsePdf(await merged.save(), DEFAULT_PARSE_LIMITS, { ocr: OCR });
    expect(doc.pageCount).toBe(2);
    expect(doc.sections.map((s) => s.page)).toEqual([1, 2]);
    expect(doc.sections[0].ocrConfidence).toBeGreaterThan(80);
    expect(inOrderRecall(LINES.join('\n'), doc.sections[0].text)).toBeGreaterThanOrEqual(0.95);
    expect(doc.sections[1]).toEqual({ page: 2, text: 'A page with a real text layer.' });
  });

  it('ends an image-only PDF of noise no_extractable_text, and one that needs OCR with OCR off ocr_unavailable', async () => {
    expect(await reasonCodeOf(parsePdf(await imageOnlyPdf([noisePng()]), DEFAULT_PARSE_LIMITS, { ocr: OCR }))).toBe('no_extractable_text');
    expect(await reasonCodeOf(parsePdf(await imageOnlyPdf([renderTextImage(LINES, 'png')]), DEFAULT_PARSE_LIMITS))).toBe('ocr_unavailable');
    // A blank PDF needs no OCR: it has no text, whether OCR is on or off.
    expect(await reasonCodeOf(parsePdf(makePdf(['', ' ']), DEFAULT_PARSE_LIMITS))).toBe('no_extractable_text');
    expect(await reasonCodeOf(parsePdf(makePdf(['', ' ']), DEFAULT_PARSE_LIMITS, { ocr: OCR }))).toBe('no_extractable_text');
  });
});
