import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { reasonCodeOf } from '../../test/fixtures/errors.js';
import { makePdf, pdfFromContentStreams } from '../../test/fixtures/documents.js';
import { encryptPdf, hasQpdf, makeFlateBombPdf, makeTruncatedPdf } from '../../test/fixtures/hostile.js';
import { DEFAULT_PARSE_LIMITS } from './index.js';
import { parsePdf } from './pdf.js';

const QPDF = hasQpdf();

describe('parsePdf', () => {
  it('emits one section per page with its page number', async () => {
    const doc = await parsePdf(makePdf(['First page about wind (energy).', '', 'Third page: café\nsecond line']), DEFAULT_PARSE_LIMITS);
    expect(doc.format).toBe('pdf');
    expect(doc.pageCount).toBe(3);
    expect(doc.sections).toEqual([
      { page: 1, text: 'First page about wind (energy).' },
      { page: 3, text: 'Third page: café\nsecond line' },
    ]);
  });

  it('fails above maxPages with too_many_pages', async () => {
    const pdf = makePdf(['a', 'b', 'c', 'd']);
    expect(await reasonCodeOf(parsePdf(pdf, { ...DEFAULT_PARSE_LIMITS, maxPages: 3 }))).toBe('too_many_pages');
    expect((await parsePdf(pdf, { ...DEFAULT_PARSE_LIMITS, maxPages: 4 })).sections).toHaveLength(4);
  });

  it('classifies broken structure as corrupt', async () => {
    expect(await reasonCodeOf(parsePdf(makeTruncatedPdf(), DEFAULT_PARSE_LIMITS))).toBe('corrupt');
    expect(await reasonCodeOf(parsePdf(Buffer.from('%PDF-1.7\n'), DEFAULT_PARSE_LIMITS))).toBe('corrupt');
    const circular = Buffer.from(makePdf(['loop']).toString('latin1').replace('/Pages 2 0 R', '/Pages 1 0 R'), 'latin1');
    expect(await reasonCodeOf(parsePdf(circular, DEFAULT_PARSE_LIMITS))).toBe('corrupt');
  });

  it('reads FlateDecode content streams', async () => {
    const pdf = pdfFromContentStreams([{ dict: '/Filter /FlateDecode', data: deflateSync('BT /F1 12 Tf 72 720 Td (compressed text) Tj ET') }]);
    expect((await parsePdf(pdf, DEFAULT_PARSE_LIMITS)).sections).toEqual([{ page: 1, text: 'compressed text' }]);
  });

  it('refuses a flate bomb with resource_limit before pdf.js inflates it', async () => {
    const bomb = makeFlateBombPdf(300);
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const started = performance.now();
    expect(await reasonCodeOf(parsePdf(bomb, DEFAULT_PARSE_LIMITS))).toBe('resource_limit');
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('fails a PDF without text with no_extractable_text', async () => {
    expect(await reasonCodeOf(parsePdf(makePdf(['', '   ']), DEFAULT_PARSE_LIMITS))).toBe('no_extractable_text');
  });

  it('indexes a PDF that has a ZIP appended (polyglot) as a PDF', async () => {
    const polyglot = Buffer.concat([makePdf(['polyglot text']), Buffer.from('PK\x03\x04 trailing zip bytes')]);
    expect((await parsePdf(polyglot, DEFAULT_PARSE_LIMITS)).sections[0].text).toBe('polyglot text');
  });

  // The two encrypted-PDF tests need qpdf to make their fixtures; .ci/run installs it, so they
  // are skipped only on a machine without it, and say why.
  it('fails a user-password PDF with encrypted (qpdf)', async (ctx) => {
    if (!QPDF) return ctx.skip('qpdf is not installed: encrypted-PDF fixtures cannot be generated');
    const pdf = encryptPdf(makePdf(['top secret']), 'user-pass')!;
    expect(await reasonCodeOf(parsePdf(pdf, DEFAULT_PARSE_LIMITS))).toBe('encrypted');
  });

  it('indexes an owner-password-only PDF (opens without a password) (qpdf)', async (ctx) => {
    if (!QPDF) return ctx.skip('qpdf is not installed: encrypted-PDF fixtures cannot be generated');
    const pdf = encryptPdf(makePdf(['readable by anyone']), '')!;
    expect(pdf.includes(Buffer.from('/Encrypt'))).toBe(true);
    expect((await parsePdf(pdf, DEFAULT_PARSE_LIMITS)).sections).toEqual([{ page: 1, text: 'readable by anyone' }]);
  });
});
