import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { makeCsv, makeDocx, makePdf, makeText, makeXls, makeXlsx } from '../../test/fixtures/documents.js';
import { makeDocxZipBomb, makeHeaderLieXlsx, makeMacroDocx, makeManyEntriesDocx, makeZipSlipDocx } from '../../test/fixtures/hostile.js';
import { detectAndInspect, detectFormat, inspectOoxml } from './detect.js';
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
});

describe('inspectOoxml and detectAndInspect', () => {
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
    expect(await asyncCodeOf(inspectOoxml(file(absolute, 'abs.docx')))).toBe('unsafe_content');
    const backslash = zipSync({ 'word/document.xml': strToU8('<x/>'), '..\\..\\evil.txt': strToU8('x') });
    expect(await asyncCodeOf(inspectOoxml(file(backslash, 'bs.docx')))).toBe('unsafe_content');
  });

  it('applies the configured caps', async () => {
    const docx = file(makeDocx([{ text: 'x' }]), 'caps.docx');
    const limits = { maxEntries: 5000, maxTotalUncompressedBytes: 200 << 20, maxRatio: 100, ratioCheckMinBytes: 1 << 20 };
    expect(await inspectOoxml(docx, limits)).toBe('docx');
    expect(await asyncCodeOf(inspectOoxml(docx, { ...limits, maxEntries: 4 }))).toBe('decompression_limit');
    expect(await asyncCodeOf(inspectOoxml(docx, { ...limits, maxTotalUncompressedBytes: 100 }))).toBe('decompression_limit');
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
