/**
 * Shared tail of every parser: drop empty sections, enforce the character budget as text
 * arrives (so an oversized document fails early instead of after building everything), and
 * refuse documents that produced no text at all.
 */
import { DocumentError, type DocFormat } from '../../core/formats.js';
import type { ParsedDocument, ParsedSection } from '../../core/parsed.js';

/** Accumulates sections for one document under the maxChars budget. */
export class SectionCollector {
  private chars = 0;
  private readonly sections: ParsedSection[] = [];

  constructor(private readonly maxChars: number) {}

  /** Adds a section if it has visible text; throws limit_exceeded once the budget is spent. */
  add(section: ParsedSection): void {
    const text = section.text.trim();
    if (text.length === 0) return;
    this.chars += text.length;
    if (this.chars > this.maxChars) {
      throw new DocumentError('limit_exceeded', `The document contains more than ${this.maxChars.toLocaleString('en-US')} characters of text.`);
    }
    this.sections.push({ ...section, text });
  }

  /** Finishes the document; a document without any text can never be indexed. */
  finish(format: DocFormat, extra: Pick<ParsedDocument, 'pageCount' | 'encoding'> = {}): ParsedDocument {
    if (this.sections.length === 0) {
      throw new DocumentError('no_extractable_text', 'No text could be extracted from the document.');
    }
    return { format, sections: this.sections, ...extra };
  }
}
