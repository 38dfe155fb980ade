/**
 * Chunking, step 2: scans section text into "atoms" (words, cut after CJK punctuation and inside
 * over-long runs) with their cost, line and the strength of the break before them, and maps
 * line numbers to spreadsheet rows. See core/chunking.ts for the whole pipeline.
 */
import type { ParsedSection } from './parsed.js';
import { addChar, C_CJK, C_MARK, C_WS, classify, costIfAdded, totalCost, type CostState } from './token-estimate.js';
import type { WorkMeter } from './work-meter.js';

export const LEVEL_SECTION = 4;
export const LEVEL_PARAGRAPH = 3;
export const LEVEL_LINE = 2;
export const LEVEL_SENTENCE = 1;
export const LEVEL_WORD = 0;
export const LEVEL_INSIDE_WORD = -1;
const NO_CUT = -2;

function isSentenceTerminator(c: number): boolean {
  return (
    c === 0x2e || // .
    c === 0x21 || // !
    c === 0x3f || // ?
    c === 0x2026 || // …
    (c >= 0x203c && c <= 0x203d) || // ‼ ‽
    (c >= 0x2047 && c <= 0x2049) || // ⁇ ⁈ ⁉
    c === 0x3002 || // 。
    c === 0xff01 || // ！
    c === 0xff1f || // ？
    c === 0xff0e || // ．
    c === 0xff61 || // ｡
    c === 0x061f || // ؟
    c === 0x06d4 || // ۔
    c === 0x0964 || // ।
    c === 0x0965 || // ॥
    c === 0x0589 || // ։
    c === 0x1362 || // ።
    c === 0x037e // Greek question mark
  );
}

function isCjkClauseMark(c: number): boolean {
  return c === 0x3001 || c === 0xff0c || c === 0xff1b || c === 0xff1a; // 、，；：
}

function isCloser(c: number): boolean {
  return (
    c === 0x22 ||
    c === 0x27 ||
    c === 0x29 ||
    c === 0x5d ||
    c === 0x7d || // " ' ) ] }
    c === 0xbb ||
    c === 0x2019 ||
    c === 0x201d || // » ’ ”
    c === 0x300d ||
    c === 0x300f ||
    c === 0x3011 ||
    c === 0x3015 ||
    c === 0x3009 ||
    c === 0x300b || // 」』】〕〉》
    c === 0xff09 ||
    c === 0xff3d ||
    c === 0xff5d // ）］｝
  );
}

/** True when the atom text[start, end) ends a sentence (terminator, optionally followed by closers). */
function endsSentence(text: string, start: number, end: number): boolean {
  let i = end - 1;
  const stop = Math.max(start, end - 4);
  while (i > stop && isCloser(text.charCodeAt(i))) i--;
  return isSentenceTerminator(text.charCodeAt(i));
}

/** Growable struct-of-arrays of atoms for one group; reused across groups. */
export class AtomStore {
  constructor(private readonly meter: WorkMeter) {}

  n = 0;
  start: Int32Array = new Int32Array(1024);
  end: Int32Array = new Int32Array(1024);
  cost: Int32Array = new Int32Array(1024);
  /** Line number while scanning, then the atom's row number (or -1) after row mapping. */
  line: Int32Array = new Int32Array(1024);
  level: Int8Array = new Int8Array(1024);
  /** Prefix sums of cost: pre[i] = cost of atoms [0, i). */
  pre: Float64Array = new Float64Array(1025);

  push(start: number, end: number, cost: number, line: number, level: number): void {
    if (this.n === this.start.length) this.grow();
    const i = this.n++;
    this.start[i] = start;
    this.end[i] = end;
    this.cost[i] = cost;
    this.line[i] = line;
    this.level[i] = level;
  }

  private grow(): void {
    const cap = this.start.length * 2;
    const g32 = (a: Int32Array): Int32Array => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    this.start = g32(this.start);
    this.end = g32(this.end);
    this.cost = g32(this.cost);
    this.line = g32(this.line);
    const lv = new Int8Array(cap);
    lv.set(this.level);
    this.level = lv;
  }

  computePrefix(): void {
    if (this.pre.length < this.n + 1) this.pre = new Float64Array(this.start.length + 1);
    let acc = 0;
    this.pre[0] = 0;
    for (let i = 0; i < this.n; i++) {
      acc += this.cost[i];
      this.pre[i + 1] = acc;
    }
    this.meter.steps += this.n;
  }
}

/**
 * Scans one section's text into atoms (see module comment). `firstLevel` is the break level
 * recorded before the section's first atom. Returns the number of atoms pushed.
 */
export function scanSection(text: string, budget: number, firstLevel: number, store: AtomStore, meter: WorkMeter): number {
  const n = text.length;
  const before = store.n;
  const st: CostState = { whole: 0, frac: 0, group: 0 };
  let i = 0;
  let line = 0;
  let gapNewlines = 0;
  let gapParagraph = false;
  let prevEndsSentence = false;
  let first = true;
  let inAtom = false;
  let aStart = 0;
  let aLine = 0;
  let aLevel = 0;
  let pendingCut = NO_CUT;

  const close = (end: number): void => {
    store.push(aStart, end, totalCost(st), aLine, aLevel);
    prevEndsSentence = endsSentence(text, aStart, end);
    st.whole = 0;
    st.frac = 0;
    st.group = 0;
    inAtom = false;
  };
  const open = (at: number, level: number): void => {
    inAtom = true;
    aStart = at;
    aLine = line;
    aLevel = level;
  };

  while (i < n) {
    // codePointAt joins a surrogate pair and returns a lone surrogate as itself.
    const cp = text.codePointAt(i)!;
    const len = cp > 0xffff ? 2 : 1;
    const cls = classify(cp);
    if (cls === C_WS) {
      if (inAtom) close(i);
      pendingCut = NO_CUT;
      if (cp === 10 || cp === 0x2028 || (cp === 13 && text.charCodeAt(i + 1) !== 10)) {
        gapNewlines++;
        line++;
      } else if (cp === 0x2029) {
        gapParagraph = true;
        line++;
      } else if (cp === 12) {
        gapParagraph = true;
      }
      i += len;
      continue;
    }
    if (inAtom) {
      if (pendingCut !== NO_CUT && cls !== C_MARK && !isCloser(cp)) {
        const level = pendingCut;
        close(i);
        open(i, level);
      } else if (costIfAdded(st, cls) > budget) {
        close(i);
        open(i, LEVEL_INSIDE_WORD);
      }
    } else {
      let level: number;
      if (first) level = firstLevel;
      else if (gapParagraph || gapNewlines >= 2) level = LEVEL_PARAGRAPH;
      else if (gapNewlines === 1) level = LEVEL_LINE;
      else level = prevEndsSentence ? LEVEL_SENTENCE : LEVEL_WORD;
      first = false;
      gapNewlines = 0;
      gapParagraph = false;
      open(i, level);
    }
    addChar(st, cls);
    if (isSentenceTerminator(cp) && cls === C_CJK) pendingCut = LEVEL_SENTENCE;
    else if (isCjkClauseMark(cp)) pendingCut = LEVEL_WORD;
    else if (pendingCut !== NO_CUT && (cls === C_MARK || isCloser(cp))) {
      // keep the pending cut until the closers / marks attached to the terminator are consumed
    } else pendingCut = NO_CUT;
    i += len;
  }
  if (inAtom) close(n);
  meter.steps += n;
  return store.n - before;
}

/** Replaces the scanned line numbers of atoms [a0, a1) with row numbers, or -1 (see module comment). */
export function mapRows(store: AtomStore, a0: number, a1: number, section: ParsedSection, meter: WorkMeter): void {
  const { rowStart, rowEnd } = section;
  const line = store.line;
  const hasRange = typeof rowStart === 'number' && typeof rowEnd === 'number' && Number.isInteger(rowStart) && Number.isInteger(rowEnd) && rowEnd >= rowStart;
  let mode = 0; // 0 none, 1 by line span, 2 by non-blank line
  if (hasRange) {
    const rows = rowEnd - rowStart + 1;
    const span = line[a1 - 1] - line[a0] + 1;
    let nonBlank = 0;
    let prev = -1;
    for (let i = a0; i < a1; i++) {
      if (line[i] !== prev) {
        nonBlank++;
        prev = line[i];
      }
    }
    meter.steps += a1 - a0;
    if (span === rows) mode = 1;
    else if (nonBlank === rows) mode = 2;
  }
  const line0 = line[a0];
  let prev = -1;
  let k = -1;
  for (let i = a0; i < a1; i++) {
    const orig = line[i];
    if (mode === 1) line[i] = (rowStart as number) + (orig - line0);
    else if (mode === 2) {
      if (orig !== prev) {
        k++;
        prev = orig;
      }
      line[i] = (rowStart as number) + k;
    } else line[i] = -1;
  }
  meter.steps += a1 - a0;
}
