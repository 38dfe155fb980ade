/**
 * What the walkers need from styles.xml: which paragraph styles are headings (and how deep),
 * and which carry list numbering. Styles inherit through `basedOn`, so a custom style based on
 * "heading 2" is a level-2 heading.
 *
 * Heading depth orders the heading path: Title 0, Subtitle 1, "heading n" (or outline level
 * n - 1) n + 1. A Title and its Subtitle both stay on the path above the chapters.
 */
import type { DocxPackage, XmlElement } from './docx-package.js';

/** A list reference: the w:num id and the level (0-based). */
export interface NumberingRef {
  numId: string;
  ilvl: number;
}

interface StyleInfo {
  name: string;
  basedOn?: string;
  outlineLvl?: number;
  numbering?: NumberingRef;
}

/** Longest basedOn chain followed; a cycle or a hostile chain stops here. */
const MAX_INHERITANCE = 20;

/** Heading depth of a style name or id ("heading 2", "Heading2", "Title"), or undefined. */
function depthOfName(name: string): number | undefined {
  const lower = name.toLowerCase().replace(/\s+/g, '');
  if (lower === 'title') return 0;
  if (lower === 'subtitle') return 1;
  const heading = /^heading([1-9])$/.exec(lower);
  return heading ? Number(heading[1]) + 1 : undefined;
}

/** Depth of a paragraph with outline level `lvl` (0-8; 9 is body text). */
export function depthOfOutline(lvl: number | undefined): number | undefined {
  return lvl !== undefined && lvl >= 0 && lvl <= 8 ? lvl + 2 : undefined;
}

/** The paragraph styles of one document. */
export class WordStyles {
  constructor(private readonly styles: Map<string, StyleInfo> = new Map()) {}

  /** Heading depth of a paragraph with this style (and direct outline level), or undefined for body text. */
  headingDepth(styleId: string | undefined, outlineLvl: number | undefined): number | undefined {
    const direct = depthOfOutline(outlineLvl);
    if (direct !== undefined || styleId === undefined) return direct;
    let id: string | undefined = styleId;
    for (let i = 0; id !== undefined && i < MAX_INHERITANCE; i++) {
      const style = this.styles.get(id);
      // A style styles.xml does not define is known by its id alone (some writers omit styles.xml).
      if (!style) return depthOfName(id);
      const depth = depthOfName(style.name) ?? depthOfOutline(style.outlineLvl);
      if (depth !== undefined) return depth;
      id = style.basedOn;
    }
    return undefined;
  }

  /** The list numbering a style gives its paragraphs, if any. */
  numbering(styleId: string | undefined): NumberingRef | undefined {
    let id = styleId;
    for (let i = 0; id !== undefined && i < MAX_INHERITANCE; i++) {
      const style = this.styles.get(id);
      if (!style) return undefined;
      if (style.numbering) return style.numbering;
      id = style.basedOn;
    }
    return undefined;
  }
}

/** Reads the paragraph styles of styles.xml (absent part: no styles). */
export async function readStyles(pkg: DocxPackage, part: string | null): Promise<WordStyles> {
  const styles = new Map<string, StyleInfo>();
  if (!part) return new WordStyles(styles);
  let current: StyleInfo | null = null;
  let pending: Partial<NumberingRef> = {};
  await pkg.walk(part, {
    open(el: XmlElement) {
      if (!el.word) return;
      const val = el.attrs.val;
      if (el.local === 'style') {
        current = null;
        if ((el.attrs.type ?? 'paragraph') === 'paragraph' && el.attrs.styleId) {
          current = { name: el.attrs.styleId };
          styles.set(el.attrs.styleId, current);
        }
        pending = {};
      } else if (current) {
        if (el.local === 'name' && val) current.name = val;
        else if (el.local === 'basedOn' && val) current.basedOn = val;
        else if (el.local === 'outlineLvl' && val) current.outlineLvl = Number(val);
        else if (el.local === 'numId' && val) pending.numId = val;
        else if (el.local === 'ilvl' && val) pending.ilvl = Number(val);
      }
    },
    close(el: XmlElement) {
      if (el.word && el.local === 'numPr' && current && pending.numId) {
        current.numbering = { numId: pending.numId, ilvl: pending.ilvl ?? 0 };
      }
      if (el.word && el.local === 'style') current = null;
    },
    text() {},
  });
  return new WordStyles(styles);
}
