/**
 * The headings above the current text, outermost first, for formats whose headings nest by
 * level (HTML, EPUB, ODT, RTF). A heading of level n closes every open heading of level n or
 * deeper, so the trail always reads like a table-of-contents path.
 */
import type { ParsedSection } from '../../core/parsed.js';
import type { SectionCollector } from './collect.js';
import { sanitizeText } from './encoding.js';

/** Provenance a section gets from the trail: its nearest heading and the whole path. */
export type HeadingFields = Pick<ParsedSection, 'heading' | 'headingPath'>;

/** Tracks nested headings as a document is read top to bottom. */
export class HeadingTrail {
  private readonly open: { level: number; text: string }[] = [];

  /** Enters a heading of `level` (1 = outermost); empty headings are ignored. */
  enter(level: number, text: string): void {
    const clean = text.replace(/\s+/g, ' ').trim();
    if (clean === '') return;
    while (this.open.length > 0 && this.open[this.open.length - 1].level >= level) this.open.pop();
    this.open.push({ level, text: clean });
  }

  /** The fields a section under the current headings carries; none before the first heading. */
  fields(): HeadingFields {
    if (this.open.length === 0) return {};
    const headingPath = this.open.map((h) => h.text);
    return { heading: headingPath[headingPath.length - 1], headingPath };
  }
}

/** A paragraph of a document read as a flat list; `level` is set on headings (1 = outermost). */
export interface TextBlock {
  text: string;
  level?: number;
}

/**
 * Adds `blocks` to `out` as one section per heading: the heading's text and everything up to the
 * next heading, each section carrying the trail of headings above it.
 */
export function addSectionsByHeading(blocks: Iterable<TextBlock>, out: SectionCollector): void {
  const trail = new HeadingTrail();
  let fields: HeadingFields = {};
  let lines: string[] = [];
  const flush = () => {
    out.add({ text: sanitizeText(lines.join('\n')), ...fields });
    lines = [];
  };
  for (const block of blocks) {
    if (block.level !== undefined) {
      flush();
      trail.enter(block.level, sanitizeText(block.text));
      fields = trail.fields();
    }
    lines.push(block.text);
  }
  flush();
}
