import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { makeCsv, makeDocx, makePdf, makeText, makeXls, makeXlsx } from '../../test/fixtures/documents.js';
import { makeDocxZipBomb, makeHeaderLieXlsx, makeMacroDocx, makeManyEntriesDocx, makeZipSlipDocx } from '../../test/fixtures/hostile.js';
import { detectAndInspect, detectFormat, inspectZipPackage } from './detect.js';
import { makeEml, makeEpub, makeHtml, makeOds, makeOdt, makePptx, makeRtf } from '../../test/fixtures/format-documents.js';
import { reasonCodeOf as asyncCodeOf, syncReasonCodeOf as codeOf } from '../../test/fixtures/errors.js';

const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(2000, 7)]);
const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(2000, 1)]);
// Deterministic pseudo-random bytes (LCG), so the test cannot flake.
const random = Buffer.alloc(65536);
for (let i = 0, x = 12345; i < random.length; i++) {
  x = (x * 1103515245 + 12345) >>> 0;
  random[i] = x >>> 24;
}

describe('detectFormat', () => {
  it('accepts content that matches the extension', () => {
    expect(detectFormat(makePdf(['x']), 'report.PDF')).toBe('pdf');
    expect(detectFormat(makeDocx([{ text: 'x' }]), 'notes.docx')).toBe('docx');
    expect(detectFormat(makeXlsx({ S: [['a']] }), 'book.xlsx')).toBe('xlsx');
    expect(detectFormat(makeXls({ S: [['a']] }), 'old.xls')).toBe('xls');
    expect(detectFormat(makeCsv([['a', 'b']]), 'data.csv')).toBe('csv');
    expect(detectFormat(makeText('# Title'), 'README.md')).toBe('md');
    expect(detectFormat(makeText('Café', 'latin1'), 'latin.txt')).toBe('txt');
    expect(detectFormat(makeText('hello there', 'utf16le'), 'wide.txt')).toBe('txt');
    expect(detectFormat(Buffer.from('abc\x00def\x00'.repeat(100)), 'nul.txt')).toBe('txt');
  });

  it('tolerates junk before %PDF- within the first 1024 bytes', () => {
    expect(detectFormat(Buffer.concat([Buffer.alloc(500, 0x20), makePdf(['x'])]), 'a.pdf')).toBe('pdf');
  });

  it('keeps a text file that merely quotes a PDF header as text', () => {
    expect(detectFormat(makeText('PDF files start with %PDF-1.7 and end with %%EOF.'), 'notes.txt')).toBe('txt');
  });

  it('refuses content that contradicts the extension with type_mismatch', () => {
    expect(codeOf(() => detectFormat(makeDocx([{ text: 'x' }]), 'docx_as.pdf'))).toBe('type_mismatch');
    expect(codeOf(() => detectFormat(makePdf(['x']), 'pdf_as.docx'))).toBe('type_mismatch');
    expect(codeOf(() => detectFormat(png, 'png_renamed.pdf'))).toBe('type_mismatch');
    expect(codeOf(() => detectFormat(elf, 'elf_renamed.docx'))).toBe('type_mismatch');
    expect(codeOf(() => detectFormat(random, 'random_bytes.xlsx'))).toBe('type_mismatch');
    expect(codeOf(() => detectFormat(makeText('just text'), 'fake.pdf'))).toBe('type_mismatch');
    expect(codeOf(() => detectFormat(makePdf(['x']), 'fake.txt'))).toBe('type_mismatch');
    expect(codeOf(() => detectFormat(makeXls({ S: [['a']] }), 'legacy.docx'))).toBe('type_mismatch');
    expect(codeOf(() => detectFormat(makeXlsx({ S: [['a']] }), 'book.xls'))).toBe('type_mismatch');
  });

  it('refuses unknown types and empty files', () => {
    expect(codeOf(() => detectFormat(new Uint8Array(0), 'empty.pdf'))).toBe('empty_file');
    expect(codeOf(() => detectFormat(makeText('MZ text'), 'tool.exe'))).toBe('unsupported_type');
    expect(codeOf(() => detectFormat(elf, 'binary'))).toBe('unsupported_type');
    expect(codeOf(() => detectFormat(random, 'noise'))).toBe('unsupported_type');
  });

  it('lets content decide when there is no extension', () => {
    expect(detectFormat(makePdf(['x']), 'scan')).toBe('pdf');
    expect(detectFormat(makeText('plain words'), 'LICENSE')).toBe('txt');
  });

  it('accepts PNG, JPEG and TIFF by their magic bytes, for OCR', () => {
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(200, 3)]);
    const tiff = Buffer.concat([Buffer.from('II*\0', 'latin1'), Buffer.alloc(200, 0)]);
    const bigTiff = Buffer.concat([Buffer.from('MM\0*', 'latin1'), Buffer.alloc(200, 0)]);
    expect(detectFormat(png, 'scan.png')).toBe('png');
    expect(detectFormat(jpeg, 'photo.JPG')).toBe('jpeg');
    expect(detectFormat(jpeg, 'photo.jpeg')).toBe('jpeg');
    expect(detectFormat(tiff, 'fax.tif')).toBe('tiff');
    expect(detectFormat(bigTiff, 'fax.tiff')).toBe('tiff');
    expect(detectFormat(png, 'no-extension')).toBe('png');
    // The bytes decide which image format it is; a document extension on an image is a mismatch.
    expect(detectFormat(png, 'mislabelled.jpg')).toBe('png');
    expect(codeOf(() => detectFormat(png, 'scan.pdf'))).toBe('type_mismatch');
    expect(codeOf(() => detectFormat(jpeg, 'notes.txt'))).toBe('type_mismatch');
    expect(codeOf(() => detectFormat(makePdf(['x']), 'scan.png'))).toBe('type_mismatch');
    expect(codeOf(() => detectFormat(makeText('plain words'), 'scan.tiff'))).toBe('type_mismatch');
  });
});

describe('detectFormat for HTML, EML and RTF', () => {
  const eml = makeEml({ from: 'a@example.com', to: 'b@example.com', subject: 'Hi', text: 'Hello.' });

  it('accepts them under their extensions, and tells them by content without one', () => {
    expect(detectFormat(makeHtml('<p>x</p>'), 'page.html')).toBe('html');
    expect(detectFormat(makeText('plain words, no tags'), 'page.htm')).toBe('html');
    expect(detectFormat(eml, 'message.eml')).toBe('eml');
    expect(detectFormat(makeRtf([{ text: 'x' }]), 'letter.rtf')).toBe('rtf');
    expect(detectFormat(makeHtml('<p>x</p>'), 'index')).toBe('html');
    expect(detectFormat(Buffer.from('<!-- saved page -->\n<HTML><body>x</body></HTML>'), 'saved')).toBe('html');
    expect(detectFormat(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<!DOCTYPE html><p>wide</p>', 'utf16le')]), 'wide')).toBe('html');
    expect(detectFormat(eml, 'message')).toBe('eml');
    expect(detectFormat(makeRtf([{ text: 'x' }]), 'letter')).toBe('rtf');
    expect(detectFormat(makeText('Subject: only one header line\n\nbody'), 'notes')).toBe('txt');
    expect(detectFormat(Buffer.concat([Buffer.from('From ada@example.com Tue Dec  1 09:30:00 2026\r\n'), eml]), 'saved.eml')).toBe('eml');
  });

  it('refuses a name its content contradicts with type_mismatch', () => {
    expect(codeOf(() => detectFormat(makeText('just text'), 'fake.rtf'))).toBe('type_mismatch');
    expect(codeOf(() => detectFormat(makeRtf([{ text: 'x' }]), 'letter.txt'))).toBe('type_mismatch');
    expect(codeOf(() => detectFormat(makeRtf([{ text: 'x' }]), 'letter.html'))).toBe('type_mismatch');
    expect(codeOf(() => detectFormat(makeText('no headers at all\njust lines'), 'mail.eml'))).toBe('type_mismatch');
    expect(codeOf(() => detectFormat(makePdf(['x']), 'page.html'))).toBe('type_mismatch');
    expect(codeOf(() => detectFormat(png, 'page.html'))).toBe('type_mismatch');
    expect(codeOf(() => detectFormat(makePptx([{ body: ['x'] }]), 'slides.html'))).toBe('type_mismatch');
  });
});

describe('inspectZipPackage and detectAndInspect', () => {
  const dir = mkdtempSync(join(tmpdir(), 'docflow-detect-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const file = (bytes: Uint8Array, name: string) => {
    const path = join(dir, `${n++}-${name}`);
    writeFileSync(path, bytes);
    return path;
  };

  it('tells docx from xlsx by the central directory', async () => {
    expect(await detectAndInspect(file(makeDocx([{ text: 'x' }]), 'a.docx'), 'a.docx')).toBe('docx');
    expect(await detectAndInspect(file(makeXlsx({ S: [['a']] }), 'b.xlsx'), 'b.xlsx')).toBe('xlsx');
    expect(await detectAndInspect(file(makeDocx([{ text: 'x' }]), 'noext'), 'noext')).toBe('docx');
    expect(await detectAndInspect(file(makePdf(['x']), 'c.pdf'), 'c.pdf')).toBe('pdf');
  });

  it('tells PPTX by its main part and ODT, ODS and EPUB by their mimetype entry', async () => {
    const packages = {
      pptx: makePptx([{ body: ['x'] }]),
      odt: makeOdt([{ text: 'x' }]),
      ods: makeOds({ S: [['a']] }),
      epub: makeEpub('T', [{ file: 'c.xhtml', body: '<p>x</p>' }]),
    };
    for (const [format, bytes] of Object.entries(packages)) {
      expect(await detectAndInspect(file(bytes, `a.${format}`), `a.${format}`), format).toBe(format);
      expect(await detectAndInspect(file(bytes, 'noext'), 'noext'), format).toBe(format);
    }
    expect(await asyncCodeOf(detectAndInspect(file(packages.odt, 'a.ods'), 'a.ods'))).toBe('type_mismatch');
    expect(await asyncCodeOf(detectAndInspect(file(packages.epub, 'a.docx'), 'a.docx'))).toBe('type_mismatch');
    expect(await asyncCodeOf(detectAndInspect(file(packages.pptx, 'a.epub'), 'a.epub'))).toBe('type_mismatch');
    const both = zipSync({ mimetype: strToU8('application/epub+zip'), 'ppt/presentation.xml': strToU8('<x/>') });
    expect(await asyncCodeOf(detectAndInspect(file(both, 'both.pptx'), 'both.pptx'))).toBe('type_mismatch');
    const unknownMimetype = zipSync({ mimetype: strToU8('application/x-custom'), 'content.xml': strToU8('<x/>') });
    expect(await asyncCodeOf(detectAndInspect(file(unknownMimetype, 'u.odt'), 'u.odt'))).toBe('type_mismatch');
  });

  it('refuses a Word document named .xlsx and a plain ZIP named .docx', async () => {
    expect(await asyncCodeOf(detectAndInspect(file(makeDocx([{ text: 'x' }]), 'w.xlsx'), 'w.xlsx'))).toBe('type_mismatch');
    const zip = zipSync({ 'hello.txt': strToU8('hi') });
    expect(await asyncCodeOf(detectAndInspect(file(zip, 'z.docx'), 'z.docx'))).toBe('type_mismatch');
  });

  it('refuses decompression bombs from declared sizes alone', async () => {
    expect(await asyncCodeOf(detectAndInspect(file(makeDocxZipBomb(), 'bomb.docx'), 'bomb.docx'))).toBe('decompression_limit');
    expect(await asyncCodeOf(detectAndInspect(file(makeHeaderLieXlsx(), 'lie.xlsx'), 'lie.xlsx'))).toBe('decompression_limit');
    expect(await asyncCodeOf(detectAndInspect(file(makeManyEntriesDocx(6000), 'many.docx'), 'many.docx'))).toBe('decompression_limit');
  });

  it('refuses zip slip names and macro projects with unsafe_content', async () => {
    expect(await asyncCodeOf(detectAndInspect(file(makeZipSlipDocx(), 'slip.docx'), 'slip.docx'))).toBe('unsafe_content');
    expect(await asyncCodeOf(detectAndInspect(file(makeMacroDocx(), 'macro.docx'), 'macro.docx'))).toBe('unsafe_content');
    const absolute = zipSync({ 'word/document.xml': strToU8('<x/>'), '/etc/cron.d/evil': strToU8('x') });
    expect(await asyncCodeOf(inspectZipPackage(file(absolute, 'abs.docx')))).toBe('unsafe_content');
    const backslash = zipSync({ 'word/document.xml': strToU8('<x/>'), '..\\..\\evil.txt': strToU8('x') });
    expect(await asyncCodeOf(inspectZipPackage(file(backslash, 'bs.docx')))).toBe('unsafe_content');
  });

  it('applies the configured caps', async () => {
    const docx = file(makeDocx([{ text: 'x' }]), 'caps.docx');
    const limits = { maxEntries: 5000, maxTotalUncompressedBytes: 200 << 20, maxRatio: 100, ratioCheckMinBytes: 1 << 20 };
    expect(await inspectZipPackage(docx, limits)).toBe('docx');
    expect(await asyncCodeOf(inspectZipPackage(docx, { ...limits, maxEntries: 4 }))).toBe('decompression_limit');
    expect(await asyncCodeOf(inspectZipPackage(docx, { ...limits, maxTotalUncompressedBytes: 100 }))).toBe('decompression_limit');
  });

  it('classifies a damaged archive as corrupt and an encrypted Office file as encrypted', async () => {
    const cut = makeDocx([{ text: 'x' }]).subarray(0, 300);
    expect(await asyncCodeOf(detectAndInspect(file(cut, 'cut.docx'), 'cut.docx'))).toBe('corrupt');
    const ole = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(600), Buffer.from('EncryptedPackage', 'utf16le')]);
    expect(await asyncCodeOf(detectAndInspect(file(ole, 'locked.docx'), 'locked.docx'))).toBe('encrypted');
  });

  it('reports an empty upload as empty_file', async () => {
    expect(await asyncCodeOf(detectAndInspect(file(new Uint8Array(0), 'e.pdf'), 'e.pdf'))).toBe('empty_file');
  });
});
