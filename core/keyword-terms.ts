/**
 * Words as keyword search sees them, written once for the places that must agree: the Qdrant
 * store's keyword query (one weighted term per word), and the web app, which highlights a
 * query's words in the passages it found. A word is a maximal run of letters, digits and
 * combining marks; it is compared folded: lower-cased with accents removed, so "Perché",
 * "perche" and "PERCHE" are one word, and the part number "XR-7734-B" is the words xr, 7734, b.
 * This matches the full-text indexes of both stores (LanceDB's simple tokenizer, Qdrant's word
 * tokenizer, both lower-casing and folding to ASCII, both ignoring words over 40 characters).
 *
 * Pure and free of Node built-ins: the web app imports it.
 */

/** Longer words are not indexed by either store, so they are not searched or highlighted either. */
export const MAX_WORD_LENGTH = 40;

/** At most this many distinct words of a query are searched (each costs the Qdrant store a count). */
export const MAX_QUERY_TERMS = 32;

/** One word of a text: where it is in the original string and its folded form. */
export interface WordSpan {
  start: number;
  end: number;
  folded: string;
}

// A single character class with `+`: linear, no backtracking whatever the input.
const WORD = /[\p{L}\p{N}\p{M}]+/gu;
const MARKS = /\p{M}+/gu;

/** The form words are compared in: compatibility-decomposed, accents dropped, lower case. */
export function foldWord(word: string): string {
  return word.normalize('NFKD').replace(MARKS, '').toLowerCase();
}

/** Every word of `text` in order, with its offsets in `text`. */
export function wordSpans(text: string): WordSpan[] {
  const spans: WordSpan[] = [];
  for (const m of text.matchAll(WORD)) {
    const folded = foldWord(m[0]);
    if (folded.length > 0) spans.push({ start: m.index, end: m.index + m[0].length, folded });
  }
  return spans;
}

/** The distinct words of a query, folded, in order of first appearance, at most `max`. */
export function keywordTerms(query: string, max = MAX_QUERY_TERMS): string[] {
  const terms = new Set<string>();
  for (const span of wordSpans(query)) {
    if (terms.size >= max) break;
    if (span.folded.length <= MAX_WORD_LENGTH) terms.add(span.folded);
  }
  return [...terms];
}

/**
 * Words too common to be worth marking in a passage (English and Italian). Only highlighting
 * skips them; search itself weighs every word by how rare it is in the tenant's index.
 */
const NOT_HIGHLIGHTED = new Set(
  (
    'a an and are as at be by for from has have how i in is it its of on or that the this to was were what when where which who why will with ' +
    'does do did can could should would many much there their they them we you your our not no yes about into than then also ' +
    'il lo la i gli le un uno una di da del della dei degli delle al allo alla ai agli alle dal dalla nel nella nei con su per tra fra ' +
    'e ed o che chi cosa come dove quando quanto quanti quante quale quali perche non si ci ne mi ti vi se ma anche piu sono era essere ha hanno'
  ).split(' '),
);

/** A piece of a passage, marked when it is one of the query's words. */
export interface TextSegment {
  text: string;
  match: boolean;
}

/** Splits `text` into plain and matched pieces: the words of `query` (common words aside) are matched. */
export function highlightSegments(text: string, query: string): TextSegment[] {
  const terms = new Set(keywordTerms(query).filter((t) => !NOT_HIGHLIGHTED.has(t)));
  const segments: TextSegment[] = [];
  let at = 0;
  if (terms.size > 0) {
    for (const span of wordSpans(text)) {
      if (!terms.has(span.folded)) continue;
      if (span.start > at) segments.push({ text: text.slice(at, span.start), match: false });
      segments.push({ text: text.slice(span.start, span.end), match: true });
      at = span.end;
    }
  }
  if (at < text.length) segments.push({ text: text.slice(at), match: false });
  return segments;
}
