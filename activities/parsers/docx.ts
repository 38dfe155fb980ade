/**
 * DOCX: document.xml streamed through WordWalker (docx-walker.ts) out of the ZIP, with the
 * styles, list numbering, headers, footers and notes it refers to.
 *
 * Not through mammoth, for memory: mammoth builds a DOM of the whole document.xml, so its peak
 * grows with the XML (700-880 MB for 12.6 MB of XML, out of memory at twice that), while the
 * streaming walk keeps only the text (docx-package.ts).
 *
 * What comes out:
 *  - sections cut at headings, each starting with its heading line, with `heading` and the
 *    whole `headingPath` (Title, Subtitle, then "heading 1-9" or outline levels, through
 *    basedOn inheritance);
 *  - list paragraphs with the number or bullet Word shows ("2.", "b)", "•");
 *  - table rows as tab-separated lines, vertically merged cells repeated in every row;
 *  - text boxes; footnotes and endnotes as "[1] text" lines after the body, their references
 *    as "[1]" in the text;
 *  - each document section's headers and footers once, before and after its body text.
 *
 * Safety: the package is first scanned for DTD/entity declarations (xml-guard: `corrupt`,
 * never expanded); only parts inside the package are read, so images or anything else linked
 * to external targets are never opened.
 */
import { DocumentError } from '../../core/formats.js';
import type { FormatParser } from './types.js';
import { sanitizeText } from './encoding.js';
import { SectionCollector } from './collect.js';
import { DocxPackage, partOfType, type Relationship, type XmlElement } from './docx-package.js';
import { ListNumbering, formatCounter, readNumbering } from './docx-numbering.js';
import { readStyles, WordStyles } from './docx-styles.js';
import { WordWalker, type RawParagraph, type SectionRefs, type WordSink } from './docx-walker.js';
import { HeadingTrail } from './heading-trail.js';
import { assertNoXmlDeclarations } from './xml-guard.js';

/** Lines per section before a long stretch under one heading is cut (the chunker rejoins them). */
const LINES_PER_SECTION = 200;

const fold = (text: string) => text.replace(/\s+/g, ' ').trim();
const labelled = (label: string | null, text: string) => (label ? (text === '' ? label : `${label} ${text}`) : text);

/** Renders paragraphs (list labels, cleaned text) and collects lines; headers, footers and notes use it as is. */
class LineSink implements WordSink {
  lines: string[] = [];

  constructor(
    protected readonly styles: WordStyles,
    private readonly numbering: ListNumbering,
  ) {}

  /** The paragraph's list label, advancing its list's counters. */
  protected label(p: RawParagraph): string | null {
    const ref = p.numbering === null ? undefined : (p.numbering ?? this.styles.numbering(p.styleId));
    return ref ? this.numbering.next(ref.numId, ref.ilvl) : null;
  }

  paragraph(p: RawParagraph, inCell: boolean): string {
    const label = this.label(p);
    const text = sanitizeText(p.text);
    if (inCell) return labelled(label, fold(text));
    const line = labelled(label, text.trim());
    if (line !== '') this.lines.push(line);
    return line;
  }

  row(cells: string[]): void {
    if (cells.some((c) => c !== '')) this.lines.push(sanitizeText(cells.join('\t')).trimEnd());
  }

  // Headers, footers and notes have no sections of their own, and notes inside them are not numbered.
  sectionEnd(_refs: SectionRefs): void {}

  noteReference(_kind: 'footnote' | 'endnote', _id: string): string {
    return '';
  }

  /** The collected lines as one text, and a fresh start. */
  take(): string {
    const text = this.lines.join('\n');
    this.lines = [];
    return text;
  }
}

interface NoteRef {
  kind: 'footnote' | 'endnote';
  id: string;
  marker: string;
}

/** The body's sink: headings cut sections, section ends bring their headers and footers. */
class BodySink extends LineSink {
  private readonly trail = new HeadingTrail();
  private sectionStart = 0;
  readonly notes: NoteRef[] = [];
  private readonly noteCount = { footnote: 0, endnote: 0 };
  private inherited: SectionRefs = { headers: {}, footers: {} };

  constructor(
    styles: WordStyles,
    numbering: ListNumbering,
    private readonly out: SectionCollector,
    private readonly headerText: (rId: string) => string,
  ) {
    super(styles, numbering);
  }

  override paragraph(p: RawParagraph, inCell: boolean): string {
    const depth = inCell ? undefined : this.styles.headingDepth(p.styleId, p.outlineLvl);
    if (depth === undefined) {
      const line = super.paragraph(p, inCell);
      if (this.lines.length >= LINES_PER_SECTION) this.flush();
      return line;
    }
    const heading = labelled(this.label(p), fold(sanitizeText(p.text)));
    if (heading === '') return '';
    this.flush();
    this.trail.enter(depth + 1, heading);
    this.lines.push(heading);
    return heading;
  }

  override row(cells: string[]): void {
    super.row(cells);
    if (this.lines.length >= LINES_PER_SECTION) this.flush();
  }

  override noteReference(kind: 'footnote' | 'endnote', id: string): string {
    const n = ++this.noteCount[kind];
    // Word's defaults: footnotes 1, 2, 3; endnotes i, ii, iii.
    const marker = `[${kind === 'footnote' ? n : formatCounter(n, 'lowerRoman')}]`;
    this.notes.push({ kind, id, marker });
    return marker;
  }

  /**
   * Headers go before the section's text, footers after it; each distinct text once. A section
   * that names no header (or footer) of a kind keeps the previous section's, as Word shows it.
   */
  override sectionEnd(refs: SectionRefs): void {
    this.flush();
    this.inherited = { headers: { ...this.inherited.headers, ...refs.headers }, footers: { ...this.inherited.footers, ...refs.footers } };
    const texts = (ids: Record<string, string>) => [
      ...new Set(
        Object.values(ids)
          .map(this.headerText)
          .filter((t) => t !== ''),
      ),
    ];
    for (const text of texts(this.inherited.headers).reverse()) this.out.add({ text }, this.sectionStart);
    for (const text of texts(this.inherited.footers)) this.out.add({ text });
    this.sectionStart = this.out.size();
  }

  flush(): void {
    const text = this.take();
    if (text.trim() !== '') this.out.add({ text, ...this.trail.fields() });
  }
}

/** Reads every header and footer part the document relates to, once, as text by relationship id. */
async function readHeaders(pkg: DocxPackage, rels: Map<string, Relationship>, styles: WordStyles, numbering: ListNumbering): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  for (const [id, rel] of rels) {
    if ((rel.type !== 'header' && rel.type !== 'footer') || !rel.part) continue;
    const sink = new LineSink(styles, numbering);
    await pkg.walk(rel.part, new WordWalker(sink));
    texts.set(id, sink.take());
  }
  return texts;
}

/** The text of every referenced note, walked out of footnotes.xml / endnotes.xml. */
async function readNotes(
  pkg: DocxPackage,
  part: string | null,
  kind: 'footnote' | 'endnote',
  wanted: Set<string>,
  styles: WordStyles,
  numbering: ListNumbering,
): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  if (!part || wanted.size === 0) return texts;
  const sink = new LineSink(styles, numbering);
  const walker = new WordWalker(sink);
  let current: string | null = null;
  await pkg.walk(part, {
    open(el: XmlElement) {
      if (el.word && el.local === kind) {
        current = el.attrs.id !== undefined && wanted.has(el.attrs.id) ? el.attrs.id : null;
        sink.take();
      }
      walker.open(el);
    },
    close(el: XmlElement) {
      walker.close(el);
      if (el.word && el.local === kind && current !== null) {
        texts.set(current, fold(sink.take()));
        current = null;
      }
    },
    text(text: string) {
      if (current !== null) walker.text(text);
    },
  });
  return texts;
}

/** Parser for .docx uploads. */
export const parseDocx: FormatParser = async (bytes, limits) => {
  await assertNoXmlDeclarations(bytes);
  const pkg = await DocxPackage.open(bytes);
  try {
    const main = partOfType(await pkg.relationships('_rels/.rels'), 'officeDocument') ?? 'word/document.xml';
    const rels = await pkg.relationships(main);
    const styles = await readStyles(pkg, partOfType(rels, 'styles'));
    const numbering = await readNumbering(pkg, partOfType(rels, 'numbering'));
    const headers = await readHeaders(pkg, rels, styles, numbering);
    const out = new SectionCollector(limits.maxChars);
    const body = new BodySink(styles, numbering, out, (id) => headers.get(id) ?? '');
    await pkg.walk(main, new WordWalker(body), true);
    body.flush();
    const noteLines: string[] = [];
    for (const kind of ['footnote', 'endnote'] as const) {
      const refs = body.notes.filter((n) => n.kind === kind);
      const texts = await readNotes(pkg, partOfType(rels, `${kind}s`), kind, new Set(refs.map((n) => n.id)), styles, numbering);
      for (const ref of refs) {
        const text = texts.get(ref.id);
        if (text) noteLines.push(`${ref.marker} ${text}`);
      }
    }
    if (noteLines.length > 0) out.add({ text: noteLines.join('\n') });
    return out.finish('docx');
  } catch (err) {
    if (err instanceof DocumentError || err instanceof RangeError) throw err;
    throw new DocumentError('corrupt', `The Word document could not be read: ${(err as Error).message.slice(0, 200)}`);
  } finally {
    pkg.close();
  }
};
