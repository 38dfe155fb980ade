import { describe, expect, it } from 'vitest';
import { foldWord, highlightSegments, keywordTerms, MAX_QUERY_TERMS, termCoverage, wordSpans } from './keyword-terms.js';

describe('keyword terms', () => {
  it('folds case and accents, in precomposed and decomposed form', () => {
    expect(foldWord('Perché')).toBe('perche');
    expect(foldWord('Perche\u0301')).toBe('perche');
    expect(foldWord('ÜBER')).toBe('uber');
    expect(foldWord('ﬁle')).toBe('file'); // compatibility ligature
  });

  it('splits identifiers and punctuation the way the full-text indexes do', () => {
    expect(keywordTerms('Part XR-7734-B, see fig. 3.14!')).toEqual(['part', 'xr', '7734', 'b', 'see', 'fig', '3', '14']);
    expect(keywordTerms('città Città CITTA')).toEqual(['citta']);
    expect(keywordTerms('  ?!  ')).toEqual([]);
    expect(keywordTerms('"unbalanced (quotes OR * operators')).toEqual(['unbalanced', 'quotes', 'operators']);
  });

  it('leaves out English and Italian function words, elided articles included', () => {
    expect(keywordTerms('How long before the tide peaks does the pilot board?')).toEqual(['long', 'tide', 'peaks', 'pilot', 'board']);
    expect(keywordTerms("Quando si cambia il filtro dell'aria del compressore?")).toEqual(['cambia', 'filtro', 'aria', 'compressore']);
    expect(keywordTerms('to be or not to be')).toEqual([]);
    // Other languages keep every word.
    expect(keywordTerms('Wo ist der Hafen?')).toEqual(['wo', 'ist', 'der', 'hafen']);
  });

  it('drops words too long to be indexed and caps the number of terms', () => {
    expect(keywordTerms(`short ${'x'.repeat(41)} ${'y'.repeat(40)}`)).toEqual(['short', 'y'.repeat(40)]);
    const many = Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ');
    expect(keywordTerms(many)).toHaveLength(MAX_QUERY_TERMS);
    expect(keywordTerms(many, 3)).toEqual(['w0', 'w1', 'w2']);
  });

  it('measures the share of query words a passage holds, as whole words', () => {
    const terms = keywordTerms('Where is gasket set GS-2210 kept?');
    expect(terms).toEqual(['gasket', 'set', 'gs', '2210', 'kept']);
    expect(termCoverage(terms, 'Kit KX-4471-D sits next to gasket set GS-2210.')).toBeCloseTo(4 / 5, 12);
    expect(termCoverage(terms, 'Gaskets, sets and GS-22100 parts')).toBe(1 / 5);
    expect(termCoverage([], 'anything')).toBe(0);
  });

  it('keeps the offsets of each word in the original text', () => {
    const text = 'Città — 2024: é\u0301!';
    expect(wordSpans(text).map((s) => [text.slice(s.start, s.end), s.folded])).toEqual([
      ['Città', 'citta'],
      ['2024', '2024'],
      ['é\u0301', 'e'],
    ]);
  });

  it('highlights the query words in a passage, whatever their case or accents, and leaves common words alone', () => {
    const text = 'The HERONS nest on the breakwater of the città; perché? Heronsong is not herons.';
    const segments = highlightSegments(text, 'how many herons nest on the Breakwater? Perché, CITTA');
    expect(segments.filter((s) => s.match).map((s) => s.text)).toEqual(['HERONS', 'nest', 'breakwater', 'città', 'herons']);
    expect(segments.map((s) => s.text).join('')).toBe(text);
    expect(highlightSegments('nothing to mark', 'the of')).toEqual([{ text: 'nothing to mark', match: false }]);
    expect(highlightSegments('', 'x')).toEqual([]);
  });
});
