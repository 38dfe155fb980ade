/**
 * Words as keyword search sees them, written once for the places that must agree: the keyword
 * queries of both vector stores, hybrid search (which weighs a keyword result by the share of
 * the query's words it holds), and the web app, which highlights a query's words in the
 * passages it found. A word is a maximal run of letters, digits and
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

/**
 * The distinct words of a query worth searching for, folded, in order of first appearance, at
 * most `max`: English and Italian function words ("the", "how", "di", "che"...) are left out.
 * In a question they match nearly every passage, and a keyword ranking built on them is noise
 * that would push the passages the question is about down the fused ranking. Words of other
 * languages are all kept; their rarity still weighs them.
 */
export function keywordTerms(query: string, max = MAX_QUERY_TERMS): string[] {
  const terms = new Set<string>();
  for (const span of wordSpans(query)) {
    if (terms.size >= max) break;
    if (span.folded.length <= MAX_WORD_LENGTH && !STOP_WORDS.has(span.folded)) terms.add(span.folded);
  }
  return [...terms];
}

/** English and Italian words that carry grammar, not subject: never searched or highlighted. */
const STOP_WORDS = new Set(
  [
    // English: articles, pronouns, auxiliaries and modals, prepositions, conjunctions, question words.
    'a an the this that these those it its i me my we us our you your he him his she her they them their',
    'is are was were be been being am do does did done has have had having will would shall should can could may might must',
    'of in on at to for from by with without into onto over under about above below between through during before after until',
    'up down out off again once here there then than so too very just only also not no nor yes',
    'and or but if because while as such some any all each both few more most other same own',
    'what which who whom whose when where why how',
    // Italian: articles and their elided forms, articulated prepositions, pronouns, auxiliaries, conjunctions, question words.
    'il lo la l i gli le un uno una un d c',
    'di a da in con su per tra fra del dello della dell dei degli delle al allo alla all ai agli alle',
    'dal dallo dalla dall dai dagli dalle nel nello nella nell nei negli nelle sul sullo sulla sull sui sugli sulle col coi',
    'io tu lui lei noi voi loro mi ti si ci vi ne lo li mio mia miei mie tuo tua suo sua suoi sue nostro nostra vostro vostra',
    'questo questa questi queste quello quella quelli quelle quest quell cui',
    'e ed o ma se che chi non anche come dove quando quanto quanta quanti quante quale quali perche piu gia poi ancora',
    'sono sei era erano essere stato stata ho hai ha abbiamo avete hanno avere',
    'cosa deve devono dovere puo possono potere va vanno fa fanno fare',
    'dopo prima durante sopra sotto senza verso presso ogni tutto tutti tutte altro altra altri altre molto poco',
  ]
    .join(' ')
    .split(' '),
);

/** The share of `terms` (folded, as keywordTerms gives them) that occur as words of `text`; 0 when there are none. */
export function termCoverage(terms: readonly string[], text: string): number {
  if (terms.length === 0) return 0;
  const words = new Set(wordSpans(text).map((w) => w.folded));
  return terms.filter((t) => words.has(t)).length / terms.length;
}

/** A piece of a passage, marked when it is one of the query's words. */
export interface TextSegment {
  text: string;
  match: boolean;
}

/** Splits `text` into plain and matched pieces: the words of `query` (common words aside) are matched. */
export function highlightSegments(text: string, query: string): TextSegment[] {
  const terms = new Set(keywordTerms(query));
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
