/**
 * Structure-aware chunking of a ParsedDocument into embedding-sized chunks.
 *
 * Pure TypeScript with no `node:` imports and no I/O, so workflow code may import it.
 *
 * Pipeline (every stage is a single forward pass over indexes, so the whole thing is linear in
 * the input size; no regex ever runs over user text, only over single code points):
 *
 * 1. Grouping. Whitespace-only sections are dropped. Consecutive sections with identical
 *    provenance (page, heading and heading path, sheet) and either no row range or contiguous row ranges form a
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
 *
 * Provenance: a chunk carries the page, heading (and heading path), sheet and rows of its first
 * section, the lowest OCR confidence of the sections it spans, and its character offsets in the
 * document's extracted text (core/parsed.ts extractedText), overlap included.
 *
 * The jobs live in their own modules: the token estimate (token-estimate.ts), atomizing and row
 * mapping (chunk-atoms.ts), packing and overlap (chunk-packing.ts); this module groups sections,
 * emits chunks and is the import surface callers use.
 */
import { AtomStore, LEVEL_LINE, LEVEL_PARAGRAPH, LEVEL_SECTION, mapRows, scanSection } from './chunk-atoms.js';
import { overlapStart, pack } from './chunk-packing.js';
import { SECTION_SEPARATOR, type Chunk, type ParsedDocument, type ParsedSection } from './parsed.js';
import { estimateTokens, isWhitespaceUnit } from './token-estimate.js';
import type { WorkMeter } from './work-meter.js';

export { estimateTokens } from './token-estimate.js';
export type { WorkMeter } from './work-meter.js';

/** Options accepted by chunkDocument; sizes are in estimated tokens (see estimateTokens). */
export interface ChunkOptions {
  maxTokens: number;
  overlapTokens: number;
}

/** Defaults sized for multilingual-e5-small (512-token window) with generous headroom for the estimate. */
export const DEFAULT_CHUNK_OPTIONS: Readonly<ChunkOptions> = Object.freeze({ maxTokens: 300, overlapTokens: 40 });

/**
 * The options a re-index asked for over the configured ones. An overlap that does not fit the
 * asked-for size (left at its configured value, or asked for alone) shrinks to what fits.
 */
export function chunkOptionsWith(configured: ChunkOptions, asked: Partial<ChunkOptions> | undefined): ChunkOptions {
  const maxTokens = asked?.maxTokens ?? configured.maxTokens;
  return { maxTokens, overlapTokens: Math.min(asked?.overlapTokens ?? configured.overlapTokens, Math.max(0, maxTokens - 2)) };
}

/** Whitespace gaps longer than this are collapsed in chunk text. */
const MAX_VERBATIM_GAP = 16;

function hasNonWhitespace(text: string, meter: WorkMeter): boolean {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    if (!isWhitespaceUnit(text.charCodeAt(i))) {
      meter.steps += i + 1;
      return true;
    }
  }
  meter.steps += n;
  return false;
}

function hasFullRowRange(s: ParsedSection): boolean {
  return typeof s.rowStart === 'number' && typeof s.rowEnd === 'number';
}

function hasAnyRow(s: ParsedSection): boolean {
  return s.rowStart !== undefined || s.rowEnd !== undefined;
}

/** The section's heading path; a parser that names only the nearest heading gives a path of one. */
function headingPathOf(s: ParsedSection): readonly string[] {
  if (Array.isArray(s.headingPath)) return s.headingPath;
  return typeof s.heading === 'string' ? [s.heading] : [];
}

function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((part, i) => part === b[i]);
}

/** Whether `next` may share chunks with `prev`: same provenance and contiguous (or absent) rows. */
function canMerge(prev: ParsedSection, next: ParsedSection): boolean {
  if ((prev.page ?? null) !== (next.page ?? null)) return false;
  if ((prev.heading ?? null) !== (next.heading ?? null)) return false;
  // Two "Introduction"s under different chapters are different places.
  if (!samePath(headingPathOf(prev), headingPathOf(next))) return false;
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
  /** Where each section in `sections` starts in the extracted text (see extractedText). */
  textOffset: number[];
  chunks: Chunk[];
  bodyBudget: number;
  overlapTokens: number;
  meter: WorkMeter;
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
  e.meter.steps += hi - s;
  return parts.length === 1 ? parts[0] : parts.join('');
}

/** A chunk is as trustworthy as the least confident OCR'd section it draws on. */
function lowestOcrConfidence(sections: ParsedSection[], from: number, to: number, meter: WorkMeter): number | null {
  let lowest: number | null = null;
  for (let k = from; k <= to; k++) {
    const c = sections[k].ocrConfidence;
    if (typeof c === 'number' && Number.isFinite(c) && (lowest === null || c < lowest)) lowest = c;
  }
  meter.steps += to - from + 1;
  return lowest;
}

function emitGroup(e: Emitter): void {
  const { store, sections } = e;
  if (store.n === 0) return;
  store.computePrefix();
  const bodies: number[] = [];
  pack(store, 0, store.n, LEVEL_SECTION, e.bodyBudget, bodies, e.meter);
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
    const s = b === 0 ? lo : overlapStart(store, lo, bodies[b - 2], e.overlapTokens, e.meter);
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
      tokens: estimateTokens(text, e.meter),
      page: first.page ?? null,
      heading: first.heading ?? null,
      headingPath: [...headingPathOf(first)],
      sheet: first.sheet ?? null,
      rowStart: rowFirst >= 0 ? rowFirst : (first.rowStart ?? null),
      rowEnd: rowLast >= 0 ? rowLast : (last.rowEnd ?? null),
      ocrConfidence: lowestOcrConfidence(sections, secOfStart, secOfEnd, e.meter),
      charStart: e.textOffset[secOfStart] + store.start[s],
      charEnd: e.textOffset[secOfEnd] + store.end[hi - 1],
    });
  }
  e.meter.steps += bodies.length + sections.length;
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
 * single place that decides what text gets embedded. Deterministic and linear in input size;
 * `meter`, when given, counts the work done (see WorkMeter).
 */
export function chunkDocument(doc: ParsedDocument, opts: ChunkOptions, meter: WorkMeter = { steps: 0 }): Chunk[] {
  validateOptions(opts);
  const e: Emitter = {
    store: new AtomStore(meter),
    sections: [],
    texts: [],
    firstAtom: [],
    textOffset: [],
    chunks: [],
    bodyBudget: opts.maxTokens - opts.overlapTokens,
    overlapTokens: opts.overlapTokens,
    meter,
  };
  const flush = (): void => {
    emitGroup(e);
    e.store.n = 0;
    e.sections = [];
    e.texts = [];
    e.firstAtom = [];
    e.textOffset = [];
  };
  // Offsets count every section, blank ones too, exactly as extractedText joins them.
  let offset = -SECTION_SEPARATOR.length;
  for (const section of doc.sections) {
    const text = typeof section.text === 'string' ? section.text : '';
    offset += SECTION_SEPARATOR.length;
    const start = offset;
    offset += text.length;
    if (!hasNonWhitespace(text, meter)) continue;
    const prev = e.sections[e.sections.length - 1];
    if (prev !== undefined && !canMerge(prev, section)) flush();
    const a0 = e.store.n;
    scanSection(text, e.bodyBudget, LEVEL_SECTION, e.store, meter);
    mapRows(e.store, a0, e.store.n, section, meter);
    e.sections.push(section);
    e.texts.push(text);
    e.firstAtom.push(a0);
    e.textOffset.push(start);
  }
  flush();
  meter.steps += doc.sections.length;
  return e.chunks;
}
