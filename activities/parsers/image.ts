/**
 * PNG, JPEG and TIFF uploads: read by Tesseract (ocr.ts), one section per page (multi-page
 * TIFFs have several) with its page number and the OCR confidence.
 *
 * Before Tesseract decodes anything, every page's pixel size is read from the header and held
 * to MAX_IMAGE_PIXELS: decoders allocate width × height whatever the file size, so a tiny file
 * can otherwise ask for gigabytes. The pool's memory cap (which counts Tesseract too) backstops
 * the rest. An image in which OCR finds no confident words ends `no_extractable_text`.
 */
import { DocumentError } from '../../core/formats.js';
import type { FormatParser } from './types.js';
import { SectionCollector } from './collect.js';
import { sanitizeText } from './encoding.js';
import { imageSizes } from './image-size.js';
import { recognize, requireOcr } from './ocr.js';

/** Largest page Tesseract is given: 60 megapixels, more than an A3 page scanned at 600 DPI. */
export const MAX_IMAGE_PIXELS = 60_000_000;

function makeImageParser(format: 'png' | 'jpeg' | 'tiff'): FormatParser {
  return async (bytes, limits, context = {}) => {
    const sizes = imageSizes(bytes, format, limits.maxPages);
    sizes.forEach(({ width, height }, i) => {
      if (width === 0 || height === 0) throw new DocumentError('corrupt', `Page ${i + 1} of the image has no size.`);
      if (width * height > MAX_IMAGE_PIXELS) {
        throw new DocumentError(
          'limit_exceeded',
          `The image is ${width.toLocaleString('en-US')} × ${height.toLocaleString('en-US')} pixels; the limit is ${(MAX_IMAGE_PIXELS / 1e6).toFixed(0)} megapixels per page.`,
        );
      }
    });
    const ocr = requireOcr(context.ocr);
    const pages = await recognize(context.filePath ? { path: context.filePath } : { bytes }, ocr);
    if (pages.length === 0) {
      throw new DocumentError('no_extractable_text', 'Text recognition (OCR) found no readable text in the image.');
    }
    const out = new SectionCollector(limits.maxChars);
    for (const page of pages) out.add({ text: sanitizeText(page.text), page: page.page, ocrConfidence: page.confidence });
    return out.finish(format, { pageCount: sizes.length });
  };
}

export const parsePng = makeImageParser('png');
export const parseJpeg = makeImageParser('jpeg');
export const parseTiff = makeImageParser('tiff');
