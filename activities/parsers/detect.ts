/**
 * Decides a document's format from its content and checks it against the file name.
 *
 * Rules (the extension is the user's claim, the bytes are the truth):
 *  - 0 bytes -> `empty_file`.
 *  - A non-empty extension we do not accept (.exe, .doc, .json) -> `unsupported_type`.
 *  - Content that is recognisably something (PDF, ZIP, OLE2, PNG, ELF, ...) or binary, under an
 *    accepted extension it does not match -> `type_mismatch` (a PNG named .pdf, a PDF named .docx,
 *    random bytes named .xlsx).
 *  - No extension: the content decides for PDF and text (-> txt); ZIP packages are decided by
 *    their directory in detectAndInspect; other binaries -> `unsupported_type`.
 *  - `%PDF-` anywhere in the first 1024 bytes is a PDF (readers tolerate leading junk), except
 *    when the file is named .txt/.md/.csv and reads as text: prose may quote a PDF header.
 *  - ZIP content named .docx/.xlsx is provisionally that format; inspectOoxml confirms it.
 *  - OLE2 content is .xls when named so. A .docx/.xlsx that is OLE2 holding an
 *    "EncryptedPackage" stream is a password-protected Office file -> `encrypted`.
 */
import { open, stat } from 'node:fs/promises';
import { ACCEPTED_TYPES, DocumentError, isTextFormat, type DocFormat } from '../../core/formats.js';
import { bomEncoding, guessUtf16 } from './encoding.js';
import { DEFAULT_ZIP_LIMITS, inspectOoxml, type ZipLimits } from './zip-directory.js';

/** Re-exported so upload code needs one import for everything detection-related. */
export { inspectOoxml, DEFAULT_ZIP_LIMITS, type ZipLimits, type OoxmlKind } from './zip-directory.js';

/** How many leading bytes detection needs; callers reading a head should read this many. */
export const HEAD_BYTES = 8192;

/** Extension (without the dot) → format, derived from the shared table in core/formats.ts. */
const EXTENSIONS: Record<string, DocFormat> = Object.fromEntries(
  (Object.entries(ACCEPTED_TYPES) as [DocFormat, { extensions: string[] }][]).flatMap(([format, t]) => t.extensions.map((e) => [e.slice(1), format])),
);

/** What the leading bytes are, independent of the name. */
export type ContentKind = 'pdf' | 'zip' | 'ole' | 'text' | 'binary';

// Only signatures containing bytes that never start a text file, so prose cannot trip them.
const BINARY_MAGIC: { bytes: number[]; label: string }[] = [
  { bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], label: 'a PNG image' },
  { bytes: [0xff, 0xd8, 0xff], label: 'a JPEG image' },
  { bytes: [0x47, 0x49, 0x46, 0x38], label: 'a GIF image' },
  { bytes: [0x7f, 0x45, 0x4c, 0x46], label: 'an ELF executable' },
  { bytes: [0x1f, 0x8b, 0x08], label: 'a gzip archive' },
  { bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], label: 'an xz archive' },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], label: 'a 7z archive' },
  { bytes: [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07], label: 'a RAR archive' },
  { bytes: [0x28, 0xb5, 0x2f, 0xfd], label: 'a zstd archive' },
  { bytes: [0x00, 0x61, 0x73, 0x6d], label: 'a WebAssembly module' },
  { bytes: [0xcf, 0xfa, 0xed, 0xfe], label: 'a Mach-O executable' },
  { bytes: [0x49, 0x49, 0x2a, 0x00], label: 'a TIFF image' },
  { bytes: [0x4d, 0x4d, 0x00, 0x2a], label: 'a TIFF image' },
  { bytes: [...Buffer.from('SQLite format 3\0')], label: 'an SQLite database' },
  { bytes: [...Buffer.from('{\\rtf')], label: 'an RTF document' },
];

const OLE2 = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

function startsWith(head: Uint8Array, bytes: number[], at = 0): boolean {
  if (head.length < at + bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (head[at + i] !== bytes[i]) return false;
  return true;
}

function indexOfAscii(head: Uint8Array, ascii: string, limit: number): number {
  const end = Math.min(head.length, limit) - ascii.length;
  outer: for (let i = 0; i <= end; i++) {
    for (let k = 0; k < ascii.length; k++) if (head[i + k] !== ascii.charCodeAt(k)) continue outer;
    return i;
  }
  return -1;
}

/**
 * Whether the head reads as text in some encoding: BOM or UTF-16 shape, else almost no C0
 * control bytes (binary formats are full of them) and not mostly NULs. Legacy 8-bit text passes
 * here; whether it decodes cleanly is the parser's call (encoding_error).
 */
export function looksLikeText(head: Uint8Array): boolean {
  if (bomEncoding(head) || guessUtf16(head)) return true;
  let nul = 0;
  let control = 0;
  for (const b of head) {
    if (b === 0) nul++;
    else if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c && b !== 0x0b && b !== 0x1b) || b === 0x7f) control++;
  }
  if (nul > head.length * 0.4) return false;
  return control <= head.length * 0.02 + 1;
}

/** Classifies content from the head alone; `claimed` only breaks the %PDF-inside-text tie. */
export function sniffContent(head: Uint8Array, claimed?: DocFormat): { kind: ContentKind; label: string } {
  const pdfAt = indexOfAscii(head, '%PDF-', 1024);
  if (pdfAt === 0) return { kind: 'pdf', label: 'a PDF document' };
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06])) {
    return { kind: 'zip', label: 'a ZIP archive' };
  }
  if (startsWith(head, OLE2)) return { kind: 'ole', label: 'an OLE2 (legacy Office) file' };
  for (const magic of BINARY_MAGIC) if (startsWith(head, magic.bytes)) return { kind: 'binary', label: magic.label };
  const text = looksLikeText(head);
  if (pdfAt > 0 && !(text && claimed && isTextFormat(claimed))) return { kind: 'pdf', label: 'a PDF document' };
  return text ? { kind: 'text', label: 'text' } : { kind: 'binary', label: 'binary data' };
}

function extensionOf(filename: string): string {
  const base = filename.slice(Math.max(filename.lastIndexOf('/'), filename.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0
    ? base
        .slice(dot + 1)
        .trim()
        .toLowerCase()
    : '';
}

function mismatch(ext: string, label: string): DocumentError {
  return new DocumentError('type_mismatch', `The file is named .${ext} but its content is ${label}.`);
}

/** Format of an upload from its first bytes and name; throws the reason code when it must be refused. */
export function detectFormat(head: Uint8Array, filename: string): DocFormat {
  if (head.length === 0) throw new DocumentError('empty_file', 'The file is empty.');
  const ext = extensionOf(filename);
  const claimed = ext ? EXTENSIONS[ext] : undefined;
  if (ext && !claimed) throw new DocumentError('unsupported_type', `Files of type .${ext.slice(0, 20)} are not supported.`);
  const { kind, label } = sniffContent(head, claimed);
  switch (kind) {
    case 'pdf':
      if (!claimed || claimed === 'pdf') return 'pdf';
      throw mismatch(ext, label);
    case 'zip':
      if (claimed === 'docx' || claimed === 'xlsx') return claimed;
      if (claimed) throw mismatch(ext, label);
      throw new DocumentError('unsupported_type', 'A ZIP archive without a .docx or .xlsx extension is not supported.');
    case 'ole':
      if (claimed === 'xls') return 'xls';
      if (claimed) throw mismatch(ext, label);
      throw new DocumentError('unsupported_type', 'Legacy Office files are only accepted as .xls spreadsheets.');
    case 'text':
      if (!claimed) return 'txt';
      if (isTextFormat(claimed)) return claimed;
      throw mismatch(ext, label);
    case 'binary':
      if (claimed) throw mismatch(ext, label);
      throw new DocumentError('unsupported_type', `The file is ${label}, which is not a supported document type.`);
  }
}

async function readHead(filePath: string): Promise<Uint8Array> {
  const handle = await open(filePath, 'r');
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Largest OLE2 file searched for an EncryptedPackage stream; bigger ones just stay type_mismatch. */
const ENCRYPTED_SCAN_BYTES = 64 * 1024 * 1024;
const ENCRYPTED_PACKAGE = Buffer.from('EncryptedPackage', 'utf16le');

async function isEncryptedOoxml(filePath: string): Promise<boolean> {
  const { size } = await stat(filePath);
  if (size > ENCRYPTED_SCAN_BYTES) return false;
  const handle = await open(filePath, 'r');
  try {
    const buffer = Buffer.alloc(size);
    await handle.read(buffer, 0, size, 0);
    return buffer.includes(ENCRYPTED_PACKAGE);
  } finally {
    await handle.close();
  }
}

/**
 * What the upload route calls: reads the head, runs detectFormat, and for ZIP content checks the
 * central directory (inspectOoxml), which must agree with the extension.
 */
export async function detectAndInspect(filePath: string, filename: string, zipLimits: ZipLimits = DEFAULT_ZIP_LIMITS): Promise<DocFormat> {
  const head = await readHead(filePath);
  if (head.length === 0) throw new DocumentError('empty_file', 'The file is empty.');
  const ext = extensionOf(filename);
  const claimed = ext ? EXTENSIONS[ext] : undefined;
  const { kind } = sniffContent(head, claimed);
  if (kind === 'zip' && !ext) return inspectOoxml(filePath, zipLimits);
  let format: DocFormat;
  try {
    format = detectFormat(head, filename);
  } catch (err) {
    if (err instanceof DocumentError && err.code === 'type_mismatch' && kind === 'ole' && (claimed === 'docx' || claimed === 'xlsx')) {
      if (await isEncryptedOoxml(filePath)) throw new DocumentError('encrypted', 'The Office document is protected by a password.');
    }
    throw err;
  }
  if (format === 'docx' || format === 'xlsx') {
    const actual = await inspectOoxml(filePath, zipLimits);
    if (actual !== format) {
      throw new DocumentError('type_mismatch', `The file is named .${ext} but its content is ${actual === 'docx' ? 'a Word document' : 'an Excel workbook'}.`);
    }
  }
  return format;
}
