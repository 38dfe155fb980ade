/**
 * Reading order of one PDF page from the positions of its text items (pdf.js `getTextContent`).
 *
 * Content streams draw text in whatever order the producer liked: two-column papers often draw
 * both columns line by line, tables cell by cell in any order, right-to-left scripts word by word
 * from the right. Concatenating items in stream order (what pdf-parse's getText does) therefore
 * interleaves columns and glues or splits right-to-left words. This module orders by geometry:
 *
 * 1. Items become fragments with a box (baseline, font size, left/right edge). Whitespace-only
 *    items are dropped: spaces between fragments are decided here, from the gaps.
 * 2. Fragments sharing a baseline form rows; a row is cut into segments at gaps wider than
 *    SEGMENT_GAP_EM (a column gutter or a table cell boundary, never a word space). Inside a
 *    segment, fragments are read in the segment's direction (right to left when most of its
 *    letters are Arabic/Hebrew script) and joined with a space only where the gap is a real word
 *    gap (WORD_GAP_EM), so a word drawn glyph by glyph stays whole.
 * 3. Segments are ordered by a recursive XY cut:
 *    - a vertical gutter crossing the whole region splits it into columns. If every column holds
 *      prose (several lines of several words), they are read one after the other (left to right,
 *      or right to left on a right-to-left page). Otherwise the region is a table: it is cut into
 *      rows at every horizontal gap and each row is read cell by cell.
 *    - without a gutter, the region is cut at its widest horizontal gaps only (a title above two
 *      columns, a paragraph break), so the lines of two columns that share baselines are never
 *      cut into rows before the columns are found.
 * Segments of one row are joined with a tab (table cells), rows with a newline.
 *
 * Pure: no pdf.js import, so it is unit-tested with hand-made items.
 */

/** The fields of a pdf.js text item this module reads. */
export interface PdfTextItem {
  str: string;
  /** pdf.js text matrix [a, b, c, d, e, f]: e/f is the baseline start, |(c, d)| the font size. */
  transform: number[];
  width: number;
  height: number;
}

interface Fragment {
  text: string;
  left: number;
  right: number;
  baseline: number;
  size: number;
  rtl: boolean;
  /** The item began or ended with whitespace: a word boundary whatever the gap says. */
  spaceBefore: boolean;
  spaceAfter: boolean;
}

interface Segment {
  text: string;
  left: number;
  right: number;
  top: number;
  bottom: number;
  baseline: number;
  size: number;
  words: number;
  rtl: boolean;
}

/** Gap between two fragments (in font sizes) above which they belong to different segments. */
export const SEGMENT_GAP_EM = 1.2;
/** Gap (in font sizes) above which two fragments of a segment are separate words. */
export const WORD_GAP_EM = 0.15;
/** Baselines closer than this (in font sizes) are one row. */
const SAME_ROW_EM = 0.4;
/** A column of prose has at least this many lines and this many words per line on average. */
const PROSE_MIN_LINES = 2;
const PROSE_MIN_WORDS_PER_LINE = 3.5;
/** Horizontal gaps at least this share of the widest one are cut together. */
const WIDE_GAP_SHARE = 0.75;

const RTL_LETTER = /[\p{Script=Arabic}\p{Script=Hebrew}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}]/u;
const LETTER = /\p{L}/u;

function rtlShare(text: string): { rtl: number; letters: number } {
  let rtl = 0;
  let letters = 0;
  for (const ch of text) {
    if (!LETTER.test(ch)) continue;
    letters++;
    if (RTL_LETTER.test(ch)) rtl++;
  }
  return { rtl, letters };
}

function isRtl(texts: string[]): boolean {
  let rtl = 0;
  let letters = 0;
  for (const t of texts) {
    const s = rtlShare(t);
    rtl += s.rtl;
    letters += s.letters;
  }
  return letters > 0 && rtl * 2 > letters;
}

/** Horizontal, upright text only; rotated or mirrored items are kept in stream order at the end. */
function toFragment(item: PdfTextItem): Fragment | null {
  const [a, b, c, d, e, f] = item.transform;
  if (Math.abs(b) > 1e-3 || Math.abs(c) > 1e-3 || a <= 0 || d <= 0) return null;
  const size = Math.abs(d) || item.height || 1;
  const text = item.str.replace(/\s+/g, ' ').trim();
  const { rtl, letters } = rtlShare(text);
  return {
    text,
    left: e,
    right: e + Math.max(0, item.width),
    baseline: f,
    size,
    rtl: letters > 0 && rtl * 2 > letters,
    spaceBefore: /^\s/.test(item.str),
    spaceAfter: /\s$/.test(item.str),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted.length === 0 ? 0 : sorted[sorted.length >> 1];
}

/** Joins the fragments of one segment, already sorted left to right. */
function joinFragments(frags: Fragment[], size: number): { text: string; rtl: boolean } {
  const rtl = isRtl(frags.map((f) => f.text));
  const ordered = rtl ? [...frags].reverse() : frags;
  let text = '';
  for (let i = 0; i < ordered.length; i++) {
    const cur = ordered[i];
    if (i > 0) {
      const prev = ordered[i - 1];
      // Visual gap between the two fragments, whichever side the previous one is on.
      const gap = rtl ? prev.left - cur.right : cur.left - prev.right;
      if (gap > WORD_GAP_EM * size || prev.spaceAfter || cur.spaceBefore) text += ' ';
    }
    text += cur.text;
  }
  return { text, rtl };
}

function countWords(text: string): number {
  let words = 0;
  for (const part of text.split(' ')) if (part.length > 0) words++;
  return words;
}

/** Step 2: rows of fragments, each cut into segments at wide gaps. */
function buildSegments(frags: Fragment[]): Segment[] {
  const byBaseline = [...frags].sort((x, y) => y.baseline - x.baseline || x.left - y.left);
  const rows: Fragment[][] = [];
  for (const frag of byBaseline) {
    const row = rows[rows.length - 1];
    if (row && Math.abs(row[0].baseline - frag.baseline) <= SAME_ROW_EM * Math.min(row[0].size, frag.size)) row.push(frag);
    else rows.push([frag]);
  }
  const segments: Segment[] = [];
  for (const row of rows) {
    row.sort((x, y) => x.left - y.left);
    let current: Fragment[] = [];
    let right = -Infinity;
    const flush = () => {
      if (current.length === 0) return;
      const size = median(current.map((f) => f.size));
      const { text, rtl } = joinFragments(current, size);
      const baseline = median(current.map((f) => f.baseline));
      segments.push({
        text,
        left: Math.min(...current.map((f) => f.left)),
        right: Math.max(...current.map((f) => f.right)),
        top: baseline + 0.8 * size,
        bottom: baseline - 0.2 * size,
        baseline,
        size,
        words: countWords(text),
        rtl,
      });
      current = [];
      right = -Infinity;
    };
    for (const frag of row) {
      if (current.length > 0 && frag.left - right > SEGMENT_GAP_EM * Math.max(frag.size, current[current.length - 1].size)) flush();
      current.push(frag);
      right = Math.max(right, frag.right);
    }
    flush();
  }
  return segments;
}

interface Gap {
  start: number;
  end: number;
}

/** Gaps wider than `minGap` in the projection of [start, end] intervals onto one axis. */
function projectionGaps(intervals: [number, number][], minGap: number): Gap[] {
  const sorted = [...intervals].sort((x, y) => x[0] - y[0]);
  const gaps: Gap[] = [];
  let end = -Infinity;
  for (const [start, stop] of sorted) {
    if (end !== -Infinity && start - end > minGap) gaps.push({ start: end, end: start });
    end = Math.max(end, stop);
  }
  return gaps;
}

const middle = (g: Gap) => (g.start + g.end) / 2;
const width = (g: Gap) => g.end - g.start;

/** The parts of gutters `a` and `b` that overlap by at least `minGap`. */
function sharedGutters(a: Gap[], b: Gap[], minGap: number): Gap[] {
  const shared: Gap[] = [];
  for (const x of a) {
    for (const y of b) {
      const g = { start: Math.max(x.start, y.start), end: Math.min(x.end, y.end) };
      if (width(g) > minGap) shared.push(g);
    }
  }
  return shared;
}

function splitAt<T>(items: T[], cuts: number[], key: (item: T) => number): T[][] {
  const sortedCuts = [...cuts].sort((x, y) => x - y);
  const parts: T[][] = Array.from({ length: sortedCuts.length + 1 }, () => []);
  for (const item of items) {
    const k = key(item);
    // Binary search: the number of cuts below k is the item's part.
    let lo = 0;
    let hi = sortedCuts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sortedCuts[mid] < k) lo = mid + 1;
      else hi = mid;
    }
    parts[lo].push(item);
  }
  return parts.filter((p) => p.length > 0);
}

function distinctRows(segs: Segment[]): number {
  const sorted = [...segs].sort((x, y) => y.baseline - x.baseline);
  let rows = 0;
  let last: Segment | undefined;
  for (const s of sorted) {
    if (!last || last.baseline - s.baseline > SAME_ROW_EM * Math.min(last.size, s.size)) rows++;
    last = s;
  }
  return rows;
}

/** Columns of prose (read one after the other) rather than the columns of a table (read by rows). */
function isProse(parts: Segment[][]): boolean {
  return parts.every((part) => {
    const lines = distinctRows(part);
    const words = part.reduce((sum, s) => sum + s.words, 0);
    return lines >= PROSE_MIN_LINES && words / lines >= PROSE_MIN_WORDS_PER_LINE;
  });
}

function byRowThenDirection(segs: Segment[], rtl: boolean): Segment[] {
  return [...segs].sort((x, y) => {
    if (Math.abs(x.baseline - y.baseline) > SAME_ROW_EM * Math.min(x.size, y.size)) return y.baseline - x.baseline;
    return rtl ? y.left - x.left : x.left - y.left;
  });
}

/** Step 3: the recursive XY cut; returns the segments in reading order. */
function order(segs: Segment[], rtl: boolean, depth = 0): Segment[] {
  if (segs.length <= 1 || depth > 200) return byRowThenDirection(segs, rtl);
  const size = median(segs.map((s) => s.size));
  const minGutter = 0.5 * size;
  const gutters = projectionGaps(
    segs.map((s) => [s.left, s.right]),
    minGutter,
  );
  const rowGaps = projectionGaps(
    segs.map((s) => [s.bottom, s.top]),
    0.01,
  );
  if (gutters.length > 0) {
    const columns = splitAt(segs, gutters.map(middle), (s) => (s.left + s.right) / 2);
    if (isProse(columns)) {
      const sequence = rtl ? columns.reverse() : columns;
      return sequence.flatMap((column) => order(column, rtl, depth + 1));
    }
    if (rowGaps.length === 0) return byRowThenDirection(segs, rtl);
    // A table: every horizontal gap is a row boundary; rows are read from the top.
    const rows = splitAt(segs, rowGaps.map(middle), (s) => (s.top + s.bottom) / 2).reverse();
    return rows.flatMap((row) => order(row, rtl, depth + 1));
  }
  if (rowGaps.length === 0) return byRowThenDirection(segs, rtl);
  const widest = Math.max(...rowGaps.map(width));
  const cuts = rowGaps.filter((g) => width(g) >= WIDE_GAP_SHARE * widest).map(middle);
  const bands = splitAt(segs, cuts, (s) => (s.top + s.bottom) / 2).reverse();
  return regroupColumns(bands, minGutter).flatMap((band) => order(band, rtl, depth + 1));
}

/**
 * Joins consecutive bands whose gutters line up. Paragraph breaks that happen to align across
 * two columns cut the columns into bands; read band by band, the columns would interleave
 * paragraph by paragraph. Rejoined, the region has a gutter from top to bottom again and is
 * split into columns first. (Table rows rejoin too, and are then read row by row as a table.)
 */
function regroupColumns(bands: Segment[][], minGutter: number): Segment[][] {
  const groups: Segment[][] = [];
  let open: Gap[] = [];
  for (const band of bands) {
    const gutters = projectionGaps(
      band.map((s) => [s.left, s.right]),
      minGutter,
    );
    const shared = groups.length > 0 ? sharedGutters(open, gutters, minGutter) : [];
    if (shared.length > 0) {
      groups[groups.length - 1].push(...band);
      open = shared;
    } else {
      groups.push([...band]);
      open = gutters;
    }
  }
  return groups;
}

/** The text of one page in reading order: rows separated by newlines, cells of a row by tabs. */
export function pageTextInReadingOrder(items: PdfTextItem[]): string {
  const fragments: Fragment[] = [];
  const others: string[] = [];
  for (const item of items) {
    if (item.str.trim() === '') continue;
    const frag = toFragment(item);
    if (frag) fragments.push(frag);
    else others.push(item.str.trim());
  }
  const segments = buildSegments(fragments);
  const pageRtl = isRtl(segments.map((s) => s.text));
  const ordered = order(segments, pageRtl);
  let text = '';
  for (let i = 0; i < ordered.length; i++) {
    if (i > 0) {
      const prev = ordered[i - 1];
      const cur = ordered[i];
      const sameRow = Math.abs(prev.baseline - cur.baseline) <= SAME_ROW_EM * Math.min(prev.size, cur.size);
      text += sameRow ? '\t' : '\n';
    }
    text += ordered[i].text;
  }
  if (others.length > 0) text += (text ? '\n' : '') + others.join('\n');
  return text;
}
