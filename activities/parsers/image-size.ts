/**
 * Pixel sizes of PNG, JPEG and TIFF images read from their headers, so an image that would make
 * Tesseract allocate gigabytes (a 100,000 × 100,000 PNG is a few KB compressed) is refused
 * before any decoder runs. Only headers are read; nothing is decoded.
 */
import { DocumentError } from '../../core/formats.js';

export interface ImageSize {
  width: number;
  height: number;
}

function corrupt(what: string): DocumentError {
  return new DocumentError('corrupt', `The image header is broken: ${what}.`);
}

function pngSize(b: Buffer): ImageSize[] {
  if (b.length < 24 || b.toString('latin1', 12, 16) !== 'IHDR') throw corrupt('no PNG IHDR chunk');
  return [{ width: b.readUInt32BE(16), height: b.readUInt32BE(20) }];
}

// Start-of-frame markers carry the size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not.
const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

function jpegSize(b: Buffer): ImageSize[] {
  let at = 2;
  while (at + 9 < b.length) {
    if (b[at] !== 0xff) throw corrupt('JPEG segments out of step');
    const marker = b[at + 1];
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (SOF.has(marker)) return [{ height: b.readUInt16BE(at + 5), width: b.readUInt16BE(at + 7) }];
    if (marker === 0xd9 || marker === 0xda) break; // end of image, or scan data before any frame header
    at += 2 + b.readUInt16BE(at + 2);
  }
  throw corrupt('no JPEG frame header');
}

function tiffSizes(b: Buffer, maxPages: number): ImageSize[] {
  if (b.length < 8) throw corrupt('TIFF header too short');
  const le = b[0] === 0x49;
  const u16 = (at: number) => (le ? b.readUInt16LE(at) : b.readUInt16BE(at));
  const u32 = (at: number) => (le ? b.readUInt32LE(at) : b.readUInt32BE(at));
  const sizes: ImageSize[] = [];
  const seen = new Set<number>();
  let ifd = u32(4);
  while (ifd !== 0) {
    if (seen.has(ifd) || ifd + 2 > b.length) throw corrupt('TIFF directory chain is broken or loops');
    seen.add(ifd);
    if (sizes.length >= maxPages) {
      throw new DocumentError(
        'too_many_pages',
        `The TIFF has more than ${maxPages.toLocaleString('en-US')} pages; the limit is ${maxPages.toLocaleString('en-US')} (MAX_PDF_PAGES).`,
      );
    }
    const entries = u16(ifd);
    if (ifd + 2 + entries * 12 + 4 > b.length) throw corrupt('TIFF directory runs past the end of the file');
    let width = 0;
    let height = 0;
    for (let i = 0; i < entries; i++) {
      const entry = ifd + 2 + i * 12;
      const tag = u16(entry);
      if (tag !== 256 && tag !== 257) continue;
      const value = u16(entry + 2) === 3 ? u16(entry + 8) : u32(entry + 8);
      if (tag === 256) width = value;
      else height = value;
    }
    sizes.push({ width, height });
    ifd = u32(ifd + 2 + entries * 12);
  }
  if (sizes.length === 0) throw corrupt('TIFF without an image directory');
  return sizes;
}

/** Sizes of every page of the image (one, except multi-page TIFFs); throws `corrupt` on a broken header. */
export function imageSizes(bytes: Uint8Array, format: 'png' | 'jpeg' | 'tiff', maxPages: number): ImageSize[] {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (format === 'png') return pngSize(b);
  if (format === 'jpeg') return jpegSize(b);
  return tiffSizes(b, maxPages);
}
