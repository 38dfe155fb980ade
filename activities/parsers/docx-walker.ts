/**
 * Walks one WordprocessingML part (document body, header, footer, footnotes) as its elements
 * stream by, and reports paragraphs, table rows and section ends to a sink. Only the state of
 * the open paragraphs and tables is kept, so memory follows the text, not the XML.
 *
 * What it reads the way Word shows it:
 *  - runs' text, tabs, line breaks and non-breaking hyphens; deleted and moved-away text, field
 *    instructions and tracked property changes are left out;
 *  - text boxes (w:txbxContent) once: Word writes each twice, as DrawingML in mc:Choice and as
 *    VML in mc:Fallback, and the fallback is skipped;
 *  - table cells with a row's cells on one line; a vertically merged cell (w:vMerge) repeats
 *    the text of the cell it continues in every row it spans; nested tables fold into their cell;
 *  - footnote and endnote references, whose marker text the sink chooses;
 *  - section properties (w:sectPr), reported after the section's last paragraph, with the
 *    header and footer relationships the section names.
 */
import type { XmlElement, XmlHandler } from './docx-package.js';
import type { NumberingRef } from './docx-styles.js';

/** A paragraph as written: its text and the properties that decide headings and list labels. */
export interface RawParagraph {
  text: string;
  styleId?: string;
  /** Direct list numbering; null when the paragraph turns its style's numbering off (numId 0). */
  numbering?: NumberingRef | null;
  outlineLvl?: number;
}

/** The header and footer relationship ids one section names, by kind (default, first, even). */
export interface SectionRefs {
  headers: Record<string, string>;
  footers: Record<string, string>;
}

/** Where a walk's content goes. */
export interface WordSink {
  /** A finished paragraph; returns its rendered line (used for table cells). */
  paragraph(p: RawParagraph, inCell: boolean): string;
  /** A finished top-level table row, merged cells resolved. */
  row(cells: string[]): void;
  /** The end of a document section. */
  sectionEnd(refs: SectionRefs): void;
  /** A footnote or endnote reference; returns the marker to put in the text. */
  noteReference(kind: 'footnote' | 'endnote', id: string): string;
}

interface ParagraphState {
  parts: string[];
  styleId?: string;
  numId?: string;
  ilvl?: number;
  outlineLvl?: number;
  sectionEnd?: SectionRefs;
}

interface CellState {
  parts: string[];
  col: number;
  span: number;
  merge?: 'restart' | 'continue';
}

interface TableState {
  /** Text of the last row's cell starting at each grid column, for vertical merges. */
  above: string[];
  cells: CellState[];
  col: number;
  cell: CellState | null;
}

/** Elements whose whole content is not shown text. */
const SKIPPED = new Set(['delText', 'instrText', 'moveFrom', 'pPrChange', 'rPrChange', 'sectPrChange', 'tblPrChange', 'trPrChange', 'tcPrChange', 'numberingChange']);

const fold = (text: string) => text.replace(/\s+/g, ' ').trim();

/** The streaming handler; one instance per part walk. */
export class WordWalker implements XmlHandler {
  private readonly stack: string[] = [];
  private skipFrom = -1;
  private readonly paragraphs: ParagraphState[] = [];
  private readonly tables: TableState[] = [];
  private inText = false;
  private inParagraphProps = false;
  private section: SectionRefs | null = null;

  constructor(private readonly sink: WordSink) {}

  open(el: XmlElement): void {
    const parent = this.stack[this.stack.length - 1];
    this.stack.push(el.local);
    if (this.skipFrom >= 0) return;
    if (!el.word) {
      if (el.local === 'Fallback') this.skipFrom = this.stack.length;
      return;
    }
    if (SKIPPED.has(el.local)) {
      this.skipFrom = this.stack.length;
      return;
    }
    const p = this.paragraphs[this.paragraphs.length - 1];
    const table = this.tables[this.tables.length - 1];
    const val = el.attrs.val;
    switch (el.local) {
      case 'p':
        this.paragraphs.push({ parts: [] });
        break;
      case 'pPr':
        this.inParagraphProps = parent === 'p';
        break;
      case 'pStyle':
        if (this.inParagraphProps && p) p.styleId = val;
        break;
      case 'numId':
        if (this.inParagraphProps && p && val !== undefined) p.numId = val;
        break;
      case 'ilvl':
        if (this.inParagraphProps && p && val !== undefined) p.ilvl = Number(val) || 0;
        break;
      case 'outlineLvl':
        if (this.inParagraphProps && p && val !== undefined) p.outlineLvl = Number(val);
        break;
      case 't':
        this.inText = parent === 'r';
        break;
      case 'tab':
        if (parent === 'r') p?.parts.push('\t');
        break;
      case 'br':
      case 'cr':
        if (parent === 'r') p?.parts.push('\n');
        break;
      case 'noBreakHyphen':
        if (parent === 'r') p?.parts.push('-');
        break;
      case 'footnoteReference':
      case 'endnoteReference':
        if (p && el.attrs.id !== undefined) {
          const marker = this.sink.noteReference(el.local === 'footnoteReference' ? 'footnote' : 'endnote', el.attrs.id);
          // Word sets the marker in superscript; in plain text it needs a space to stay a word of its own.
          const last = p.parts[p.parts.length - 1] ?? '';
          if (marker !== '') p.parts.push(last === '' || /\s$/.test(last) ? marker : ` ${marker}`);
        }
        break;
      case 'tbl':
        this.tables.push({ above: [], cells: [], col: 0, cell: null });
        break;
      case 'tr':
        if (table) {
          table.cells = [];
          table.col = 0;
        }
        break;
      case 'gridBefore':
        if (table && !table.cell) table.col += Math.max(0, Number(val) || 0);
        break;
      case 'tc':
        if (table) table.cell = { parts: [], col: table.col, span: 1 };
        break;
      case 'gridSpan':
        if (table?.cell) table.cell.span = Math.max(1, Math.min(1000, Number(val) || 1));
        break;
      case 'vMerge':
        if (table?.cell) table.cell.merge = val === 'restart' ? 'restart' : 'continue';
        break;
      case 'sectPr':
        this.section = { headers: {}, footers: {} };
        break;
      case 'headerReference':
      case 'footerReference':
        if (this.section && el.attrs.id) (el.local === 'headerReference' ? this.section.headers : this.section.footers)[el.attrs.type ?? 'default'] = el.attrs.id;
        break;
    }
  }

  text(text: string): void {
    if (this.inText && this.skipFrom < 0) this.paragraphs[this.paragraphs.length - 1]?.parts.push(text);
  }

  close(el: XmlElement): void {
    const depth = this.stack.length;
    this.stack.pop();
    if (this.skipFrom >= 0) {
      if (depth === this.skipFrom) this.skipFrom = -1;
      return;
    }
    if (!el.word) return;
    const table = this.tables[this.tables.length - 1];
    switch (el.local) {
      case 't':
        this.inText = false;
        break;
      case 'pPr':
        this.inParagraphProps = false;
        break;
      case 'p': {
        const p = this.paragraphs.pop();
        if (p) this.finishParagraph(p);
        break;
      }
      case 'tc':
        if (table?.cell) {
          table.cells.push(table.cell);
          table.col += table.cell.span;
          table.cell = null;
        }
        break;
      case 'tr':
        if (table) this.finishRow(table);
        break;
      case 'tbl':
        this.tables.pop();
        break;
      case 'sectPr': {
        const refs = this.section;
        this.section = null;
        if (!refs) break;
        // A section ending inside a paragraph's properties ends after that paragraph's text.
        const p = this.paragraphs[this.paragraphs.length - 1];
        if (p) p.sectionEnd = refs;
        else this.sink.sectionEnd(refs);
        break;
      }
    }
  }

  private finishParagraph(p: ParagraphState): void {
    const table = this.tables[this.tables.length - 1];
    const cell = table?.cell ?? null;
    const raw: RawParagraph = { text: p.parts.join(''), styleId: p.styleId, outlineLvl: p.outlineLvl };
    if (p.numId !== undefined) raw.numbering = p.numId === '0' ? null : { numId: p.numId, ilvl: p.ilvl ?? 0 };
    const line = this.sink.paragraph(raw, cell !== null);
    if (cell && line !== '') cell.parts.push(line);
    if (p.sectionEnd) this.sink.sectionEnd(p.sectionEnd);
  }

  private finishRow(table: TableState): void {
    const cells = table.cells.map((cell) => {
      let text = fold(cell.parts.join(' '));
      if (cell.merge === 'continue' && text === '') text = table.above[cell.col] ?? '';
      for (let c = cell.col; c < cell.col + cell.span; c++) table.above[c] = c === cell.col ? text : '';
      return text;
    });
    table.cells = [];
    const outer = this.tables[this.tables.length - 2];
    if (outer?.cell) {
      // A table inside a cell becomes text of that cell, one nested row after another.
      const line = cells.filter((c) => c !== '').join(' ');
      if (line !== '') outer.cell.parts.push(line);
    } else if (outer === undefined) {
      this.sink.row(cells);
    }
  }
}
