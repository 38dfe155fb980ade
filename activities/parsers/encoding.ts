/**
 * Turns the bytes of a plain-text upload (txt, md, csv) into clean text.
 *
 * Order of evidence, strongest first: a byte-order mark, the NUL pattern of UTF-16 without a BOM,
 * strict UTF-8 validity, and only then a statistical guess (chardet) decoded with iconv-lite.
 * A guess is accepted only when the result is plausible; otherwise the file fails with
 * `encoding_error` rather than being indexed as replacement-character soup.
 * Every loop and regex here is linear in the input size.
 */
import chardet from 'chardet';
import iconv from 'iconv-lite';
import { DocumentError } from '../../core/formats.js';

/** What decodeText returns: the cleaned text plus the encoding name shown to users. */
export interface DecodedText {
  text: string;
  encoding: string;
}

type Utf16 = 'UTF-16LE' | 'UTF-16BE';

/** Bytes the statistical detector looks at; enough for a verdict, cheap on huge files. */
const SNIFF_BYTES = 64 * 1024;

const BOMS: { bytes: number[]; encoding: string }[] = [
  // UTF-32LE must be tested before UTF-16LE: its BOM starts with the UTF-16LE one.
  { bytes: [0xff, 0xfe, 0x00, 0x00], encoding: 'UTF-32LE' },
  { bytes: [0x00, 0x00, 0xfe, 0xff], encoding: 'UTF-32BE' },
  { bytes: [0xef, 0xbb, 0xbf], encoding: 'UTF-8' },
  { bytes: [0xff, 0xfe], encoding: 'UTF-16LE' },
  { bytes: [0xfe, 0xff], encoding: 'UTF-16BE' },
];

/** Single-byte code pages chardet can name; decoding them never fails, so they need a plausibility check. */
const SINGLE_BYTE = /^(ISO-8859-\d+|windows-125\d|KOI8-R)$/;
/** Multi-byte legacy encodings iconv-lite can decode; invalid input shows up as U+FFFD. */
const MULTI_BYTE = new Set(['Shift_JIS', 'EUC-JP', 'EUC-KR', 'GB18030', 'Big5']);

/** Returns the BOM-declared encoding and BOM length, so callers can trust it over any guess. */
export function bomEncoding(bytes: Uint8Array): { encoding: string; length: number } | null {
  for (const bom of BOMS) {
    if (bytes.length >= bom.bytes.length && bom.bytes.every((b, i) => bytes[i] === b)) {
      return { encoding: bom.encoding, length: bom.bytes.length };
    }
  }
  return null;
}

/**
 * Recognises BOM-less UTF-16 by its NUL pattern (mostly-Latin text has a zero high byte in
 * nearly every code unit). Strict ratios keep files that merely contain NULs out.
 */
export function guessUtf16(bytes: Uint8Array): Utf16 | null {
  const n = Math.min(bytes.length, 8192) & ~1;
  if (n < 4) return null;
  let zeroEven = 0;
  let zeroOdd = 0;
  for (let i = 0; i < n; i += 2) {
    if (bytes[i] === 0) zeroEven++;
    if (bytes[i + 1] === 0) zeroOdd++;
  }
  const units = n / 2;
  if (zeroOdd / units >= 0.6 && zeroEven / units <= 0.05) return 'UTF-16LE';
  if (zeroEven / units >= 0.6 && zeroOdd / units <= 0.05) return 'UTF-16BE';
  return null;
}

/** Strict UTF-8 check; `partialTail` tolerates a sequence cut by a fixed-size head read. */
export function isValidUtf8(bytes: Uint8Array, partialTail = false): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: partialTail });
    return true;
  } catch {
    return false;
  }
}

const NEWLINES = /\r\n?|[\v\f\u2028\u2029]/g;
// C0/C1 controls except \t and \n, DEL, soft hyphen, and the invisible formatting characters
// (zero-width spaces/joiners, bidi embeddings/overrides/isolates, word joiner, BOM) that
// either hide text from readers or only serve to spoof it.
const INVISIBLE = /[\x00-\x08\x0E-\x1F\x7F-\x9F\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF\uFFF9-\uFFFB]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** One cleaning rule for every format, so text from PDFs, DOCX cells and txt files embeds alike. */
export function sanitizeText(text: string): string {
  return text.replace(NEWLINES, '\n').replace(INVISIBLE, '').replace(LONE_SURROGATE, '');
}

function strictDecode(bytes: Uint8Array, encoding: string, why: string): string {
  try {
    if (encoding.startsWith('UTF-32')) {
      const text = iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), encoding);
      if (text.includes('\uFFFD')) throw new Error('invalid UTF-32');
      return text;
    }
    return new TextDecoder(encoding.toLowerCase(), { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new DocumentError('encoding_error', `The text ${why} ${encoding} but contains invalid byte sequences.`);
  }
}

/**
 * True when a file that failed UTF-8 validation is nonetheless mostly UTF-8 shaped (well-formed
 * multi-byte sequences, runs of continuation bytes): it is broken UTF-8, and reading it as a
 * single-byte code page would produce mojibake. Real Latin-1/Windows-125x text almost never has
 * an accented letter followed by bytes in 0x80-0xBF.
 */
export function looksLikeBrokenUtf8(bytes: Uint8Array): boolean {
  let high = 0;
  let utf8ish = 0;
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    const len = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (len > 0 && i + len <= n) {
      let ok = true;
      for (let k = 1; k < len; k++) if ((bytes[i + k] & 0xc0) !== 0x80) ok = false;
      if (ok) {
        high += len;
        utf8ish += len;
        i += len;
        continue;
      }
    }
    if (b <= 0xbf) {
      let j = i;
      while (j < n && bytes[j] >= 0x80 && bytes[j] <= 0xbf) j++;
      const run = j - i;
      high += run;
      if (run >= 2) utf8ish += run;
      i = j;
      continue;
    }
    high++;
    i++;
  }
  return high > 0 && utf8ish / high >= 0.25;
}

function hasC1OrReplacement(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 0x80 && c <= 0x9f) || c === 0xfffd) return true;
  }
  return false;
}

/** How close (relative confidence) Latin-1 must come to chardet's single-byte favourite to win. */
const WESTERN_MARGIN = 0.65;

/**
 * chardet's ranking with one correction: among single-byte code pages it often ranks a
 * Central European page above Latin-1 for short French text ("Crème" read as ISO-8859-2 gives
 * "Crčme"). Windows-1252 is by far the most common legacy encoding, so it wins whenever its
 * confidence is within WESTERN_MARGIN of the favourite; real Czech/Polish text scores Latin-1
 * far lower (measured ~0.25-0.45 of the favourite) and keeps its page. ISO-8859-1 is read as
 * windows-1252 (as WHATWG does): "latin1" files routinely contain 0x80-0x9F smart quotes.
 */
export function pickLegacyEncoding(sample: Uint8Array): string | null {
  const matches = chardet.analyse(sample);
  const top = matches[0];
  if (!top) return null;
  const western = matches.find((m) => m.name === 'ISO-8859-1' || m.name === 'windows-1252');
  if (western && SINGLE_BYTE.test(top.name) && western.confidence >= top.confidence * WESTERN_MARGIN) return 'windows-1252';
  return top.name === 'ISO-8859-1' ? 'windows-1252' : top.name;
}

function decodeLegacy(bytes: Uint8Array): DecodedText {
  const encoding = pickLegacyEncoding(bytes.subarray(0, SNIFF_BYTES));
  if (encoding === 'UTF-16LE' || encoding === 'UTF-16BE' || encoding === 'UTF-32LE' || encoding === 'UTF-32BE') {
    return { text: sanitizeText(strictDecode(bytes, encoding, 'looks like')), encoding };
  }
  const known = encoding !== null && (SINGLE_BYTE.test(encoding) || MULTI_BYTE.has(encoding));
  if (!known || !iconv.encodingExists(encoding)) {
    throw new DocumentError('encoding_error', 'The text is not valid UTF-8 and its encoding could not be recognised.');
  }
  if (SINGLE_BYTE.test(encoding) && looksLikeBrokenUtf8(bytes)) {
    throw new DocumentError('encoding_error', 'The text is mostly UTF-8 but contains invalid byte sequences.');
  }
  const text = iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), encoding);
  if (hasC1OrReplacement(text)) {
    throw new DocumentError('encoding_error', `The text does not decode cleanly as ${encoding} (its best-guess encoding).`);
  }
  return { text: sanitizeText(text), encoding };
}

/** The single entry point text parsers use: decoded, sanitized text or DocumentError('encoding_error'). */
export function decodeText(bytes: Uint8Array): DecodedText {
  if (bytes.length === 0) return { text: '', encoding: 'UTF-8' };
  const bom = bomEncoding(bytes);
  if (bom) {
    return { text: sanitizeText(strictDecode(bytes.subarray(bom.length), bom.encoding, 'declares')), encoding: bom.encoding };
  }
  const utf16 = guessUtf16(bytes);
  if (utf16) return { text: sanitizeText(strictDecode(bytes, utf16, 'looks like')), encoding: utf16 };
  if (isValidUtf8(bytes)) {
    return { text: sanitizeText(new TextDecoder('utf-8').decode(bytes)), encoding: 'UTF-8' };
  }
  return decodeLegacy(bytes);
}
