/**
 * What a parser produces and what the chunker consumes. Stored as an artifact between steps,
 * never sent through Temporal payloads.
 */
import type { DocFormat } from './formats.js';

/** One structural unit of a document: a page, a heading-delimited section, or a sheet row range. */
export interface ParsedSection {
  text: string;
  /** 1-based page number (PDF). */
  page?: number;
  /** Nearest heading above this text (DOCX, MD). */
  heading?: string;
  /** Every heading above this text, outermost first (DOCX, MD, HTML, EPUB); `heading` is its last. */
  headingPath?: string[];
  /** Set when the text came from OCR: the engine's mean word confidence, 0..100. */
  ocrConfidence?: number;
  /** Sheet name (XLSX, XLS, CSV uses the file's own single sheet). */
  sheet?: string;
  /** 1-based inclusive row range within the sheet. */
  rowStart?: number;
  rowEnd?: number;
}

export interface ParsedDocument {
  format: DocFormat;
  sections: ParsedSection[];
  /** Pages (PDF) or sheets (spreadsheets), for display. */
  pageCount?: number;
  /** Encoding detected for text formats, e.g. 'UTF-8', 'windows-1252', 'UTF-16LE'. */
  encoding?: string;
}

/**
 * Between two sections in the document's extracted text. The extracted text is every section's
 * text in order, joined by this; chunk offsets point into it (see extractedText).
 */
export const SECTION_SEPARATOR = '\n\n';

/** The document's whole extracted text, the string chunk offsets (`charStart`, `charEnd`) index. */
export function extractedText(doc: ParsedDocument): string {
  return doc.sections.map((s) => (typeof s.text === 'string' ? s.text : '')).join(SECTION_SEPARATOR);
}

/** Where a chunk came from in its document; travels from the chunk into the vector payload. */
export interface ChunkProvenance {
  page: number | null;
  heading: string | null;
  /** Every heading above the chunk, outermost first; empty when the format has none. */
  headingPath: string[];
  sheet: string | null;
  rowStart: number | null;
  rowEnd: number | null;
  /** Lowest OCR confidence (0..100) of the sections the chunk draws on; null when none was OCR'd. */
  ocrConfidence: number | null;
  /**
   * Where the chunk (its overlap included) lies in the extracted text: UTF-16 offsets, end
   * exclusive. Null only for chunks stored before offsets were recorded.
   */
  charStart: number | null;
  charEnd: number | null;
}

/** A chunk ready to embed. */
export interface Chunk extends ChunkProvenance {
  index: number;
  text: string;
  tokens: number;
}
