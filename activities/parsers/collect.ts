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

  /**
   * Adds a section if it has visible text, at the end or before the section at index `at`
   * (a DOCX section's headers, known only at its end, go before its text); throws
   * limit_exceeded once the budget is spent.
   */
  add(section: ParsedSection, at?: number): void {
    const text = section.text.trim();
    if (text.length === 0) return;
    this.chars += text.length;
    if (this.chars > this.maxChars) {
      throw new DocumentError('limit_exceeded', `The document contains more than ${this.maxChars.toLocaleString('en-US')} characters of text.`);
    }
    if (at === undefined || at >= this.sections.length) this.sections.push({ ...section, text });
    else this.sections.splice(Math.max(0, at), 0, { ...section, text });
  }

  /** Sections added so far. */
  size(): number {
    return this.sections.length;
  }

  /** Finishes the document; a document without any text can never be indexed. */
  finish(format: DocFormat, extra: Pick<ParsedDocument, 'pageCount' | 'encoding'> = {}): ParsedDocument {
    if (this.sections.length === 0) {
      throw new DocumentError('no_extractable_text', 'No text could be extracted from the document.');
    }
    return { format, sections: this.sections, ...extra };
  }
}
