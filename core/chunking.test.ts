import { describe, expect, it } from 'vitest';
import { chunkDocument, chunkOptionsWith, DEFAULT_CHUNK_OPTIONS, estimateTokens, type WorkMeter } from './chunking.js';
import { extractedText, type Chunk, type ParsedDocument, type ParsedSection } from './parsed.js';

const doc = (sections: ParsedSection[], format: ParsedDocument['format'] = 'txt'): ParsedDocument => ({ format, sections });

/** Deterministic LCG so generated inputs are identical on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'internationalization', 'of', 'the', 'report', 'revenue', 'x', 'Zürich', 'über', '2024', '3.14', 'e.g.', '(note)', '"quoted"'];

function prose(words: number, seed = 1): string {
  const r = rng(seed);
  const parts: string[] = [];
  for (let i = 0; i < words; i++) {
    parts.push(WORDS[Math.floor(r() * WORDS.length)]);
    const p = r();
    parts.push(p < 0.02 ? '\n\n' : p < 0.05 ? '\n' : p < 0.15 ? '. ' : ' ');
  }
  return parts.join('');
}

const nonWs = (s: string): string => s.replace(/\s+/g, '');

/**
 * Checks that chunk texts, read in order, cover the concatenated non-whitespace text of the
 * sections with nothing lost: each chunk must start at or before the point the previous one
 * reached (overlap) and extend it. Repetitive text makes the overlap length ambiguous, so every
 * consistent reading is tracked.
 */
function expectNoLostText(sections: ParsedSection[], chunks: Chunk[]): void {
  const all = nonWs(sections.map((s) => s.text).join(''));
  let states = new Set([0]);
  for (const c of chunks) {
    const t = nonWs(c.text);
    expect(t.length).toBeGreaterThan(0);
    const next = new Set<number>();
    for (const reached of states) {
      for (let q = reached; q >= Math.max(0, reached - t.length); q--) {
        if (q + t.length > reached && all.startsWith(t, q)) next.add(q + t.length);
      }
    }
    expect(next.size, `chunk ${c.index} does not continue the text`).toBeGreaterThan(0);
    states = next;
  }
  expect(states.has(all.length)).toBe(true);
}

/** Each chunk's offsets point at its own words in the extracted text, in document order. */
function expectOffsets(sections: ParsedSection[], chunks: Chunk[]): void {
  const text = extractedText(doc(sections));
  let previous = { start: 0, end: 0 };
  for (const c of chunks) {
    expect(c.charStart).not.toBeNull();
    const start = c.charStart as number;
    const end = c.charEnd as number;
    // Overlap may reach back as far as the previous chunk's start, never further; each chunk gets further.
    expect(start).toBeGreaterThanOrEqual(previous.start);
    expect(end).toBeGreaterThan(previous.end);
    expect(end).toBeLessThanOrEqual(text.length);
    expect(nonWs(text.slice(start, end)), `chunk ${c.index}`).toBe(nonWs(c.text));
    previous = { start, end };
  }
}

function expectSizes(chunks: Chunk[], maxTokens: number): void {
  for (const c of chunks) {
    expect(c.tokens).toBe(estimateTokens(c.text));
    expect(c.tokens).toBeLessThanOrEqual(maxTokens);
    expect(c.text.trim()).toBe(c.text);
  }
  expect(chunks.map((c) => c.index)).toEqual(chunks.map((_, i) => i));
}

describe('estimateTokens', () => {
  it('follows the per-character-class rule', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens(' \n\t ')).toBe(0);
    expect(estimateTokens('a')).toBe(1);
    expect(estimateTokens('word')).toBe(1); // 4 lowercase letters = 1
    expect(estimateTokens('words')).toBe(2);
    expect(estimateTokens('internationalization')).toBe(5); // 20 chars / 4
    expect(estimateTokens('HELLO')).toBe(3); // uppercase weighs 1/2
    expect(estimateTokens('2024')).toBe(2); // digits weigh 1/3
    expect(estimateTokens('3f2a')).toBe(4); // letter/digit switches start new runs
    expect(estimateTokens('!?.')).toBe(3); // punctuation 1 each
    expect(estimateTokens('你好世界')).toBe(4); // CJK 1 each
    expect(estimateTokens('😀')).toBe(2); // astral symbols 2 each
    expect(estimateTokens('città')).toBe(2); // 4 ASCII (1) + à (1)
    expect(estimateTokens('hello, world.')).toBe(2 + 1 + 2 + 1);
  });

  it('is subadditive under concatenation, so packing by atom cost never underestimates a chunk', () => {
    const r = rng(7);
    const alphabet = ['a', 'B', '7', ' ', '\n', '.', '你', 'é', '\u0301', 'д', '😀', '-'];
    for (let k = 0; k < 500; k++) {
      const gen = (): string => Array.from({ length: Math.floor(r() * 12) }, () => alphabet[Math.floor(r() * alphabet.length)]).join('');
      const a = gen();
      const b = gen();
      expect(estimateTokens(a + b)).toBeLessThanOrEqual(estimateTokens(a) + estimateTokens(b));
    }
  });
});

describe('chunkDocument', () => {
  it('keeps provenance and never lets a chunk span different pages, headings or sheets', () => {
    const sections: ParsedSection[] = [
      { text: prose(400, 1), page: 1 },
      { text: prose(30, 2), page: 2 },
      { text: prose(30, 3), page: 2, heading: 'Results' },
      { text: prose(500, 4), page: 3, heading: 'Results' },
    ];
    const chunks = chunkDocument(doc(sections, 'pdf'), { maxTokens: 120, overlapTokens: 20 });
    expectSizes(chunks, 120);
    expectNoLostText(sections, chunks);
    expectOffsets(sections, chunks);
    const keys = chunks.map((c) => `${c.page}|${c.heading}`);
    // provenance appears in document order, each group contiguous
    expect([...new Set(keys)]).toEqual(['1|null', '2|null', '2|Results', '3|Results']);
    for (const c of chunks) expect(c.sheet).toBeNull();
    // the page-2 sections are small but have different headings: they must not share a chunk
    const page2 = chunks.filter((c) => c.page === 2);
    expect(page2).toHaveLength(2);
    expect(nonWs(page2[0].text)).toBe(nonWs(sections[1].text));
  });

  it('merges small adjacent sections with the same provenance', () => {
    const sections: ParsedSection[] = [
      { text: 'First small paragraph.', heading: 'H', page: 1 },
      { text: 'Second small paragraph.', heading: 'H', page: 1 },
      { text: 'Third one, other heading.', heading: 'Other', page: 1 },
    ];
    const chunks = chunkDocument(doc(sections, 'md'), DEFAULT_CHUNK_OPTIONS);
    expect(chunks.map((c) => c.text)).toEqual(['First small paragraph.\n\nSecond small paragraph.', 'Third one, other heading.']);
    expect(chunks.map((c) => c.heading)).toEqual(['H', 'Other']);
  });

  it('drops empty and whitespace-only sections and numbers chunks 0..n-1', () => {
    const sections: ParsedSection[] = [{ text: '' }, { text: ' \n\t\u00a0 ' }, { text: 'only text' }, { text: '\n\n' }];
    const chunks = chunkDocument(doc(sections), DEFAULT_CHUNK_OPTIONS);
    // Offsets count the blank sections too: '' + '\n\n' + ' \n\t\u00a0 ' + '\n\n' puts the text at 9.
    expect(chunks).toEqual([
      {
        index: 0,
        text: 'only text',
        tokens: 2,
        page: null,
        heading: null,
        headingPath: [],
        sheet: null,
        rowStart: null,
        rowEnd: null,
        ocrConfidence: null,
        charStart: 9,
        charEnd: 18,
      },
    ]);
    expect(chunkDocument(doc([]), DEFAULT_CHUNK_OPTIONS)).toEqual([]);
  });

  it('narrows sheet row ranges to the rows present in each chunk (row-per-line sections)', () => {
    const rows = Array.from({ length: 200 }, (_, i) => `R${i + 10}\tcustomer ${i}\t${(i * 17.25).toFixed(2)}\tEUR`);
    const sections: ParsedSection[] = [{ text: rows.join('\n') + '\n', sheet: 'Sales', rowStart: 10, rowEnd: 209 }];
    const chunks = chunkDocument(doc(sections, 'xlsx'), { maxTokens: 100, overlapTokens: 15 });
    expect(chunks.length).toBeGreaterThan(5);
    expectSizes(chunks, 100);
    expectNoLostText(sections, chunks);
    for (const c of chunks) {
      expect(c.sheet).toBe('Sales');
      const ids = [...c.text.matchAll(/R(\d+)\t/g)].map((m) => Number(m[1]));
      // every chunk starts at a row boundary (line breaks beat word breaks) so its first id is its rowStart
      expect(c.rowStart).toBe(ids[0]);
      expect(c.rowEnd).toBe(ids[ids.length - 1]);
    }
    expect(chunks[0].rowStart).toBe(10);
    expect(chunks[chunks.length - 1].rowEnd).toBe(209);
  });

  it('maps rows by non-blank line when blank lines are not rows, and keeps the whole range when lines do not match rows', () => {
    const byNonBlank = chunkDocument(doc([{ text: '\n\nr5 a\n\n\nr6 b\nr7 c\n', sheet: 'S', rowStart: 5, rowEnd: 7 }], 'csv'), { maxTokens: 4, overlapTokens: 0 });
    expect(byNonBlank.map((c) => [c.text, c.rowStart, c.rowEnd])).toEqual([
      ['r5 a', 5, 5],
      ['r6 b', 6, 6],
      ['r7 c', 7, 7],
    ]);
    // a cell with an embedded newline: 3 lines for 2 rows, so narrowing is impossible
    const multi = chunkDocument(doc([{ text: 'r1 "multi\nline" cell\nr2 x', sheet: 'S', rowStart: 1, rowEnd: 2 }], 'csv'), { maxTokens: 4, overlapTokens: 0 });
    expect(multi.length).toBeGreaterThan(1);
    for (const c of multi) expect([c.rowStart, c.rowEnd]).toEqual([1, 2]);
  });

  it('merges sheet sections only when their row ranges are contiguous', () => {
    const sections: ParsedSection[] = [
      { text: 'a 1\nb 2', sheet: 'S', rowStart: 1, rowEnd: 2 },
      { text: 'c 3', sheet: 'S', rowStart: 3, rowEnd: 3 },
      { text: 'z 9', sheet: 'S', rowStart: 9, rowEnd: 9 },
    ];
    const chunks = chunkDocument(doc(sections, 'xlsx'), DEFAULT_CHUNK_OPTIONS);
    expect(chunks.map((c) => [c.text, c.rowStart, c.rowEnd])).toEqual([
      ['a 1\nb 2\n\nc 3', 1, 3],
      ['z 9', 9, 9],
    ]);
  });

  it('repeats the tail of the previous chunk (whole words, within overlapTokens) inside a section', () => {
    const text = prose(3000, 9);
    const opts = { maxTokens: 150, overlapTokens: 30 };
    const chunks = chunkDocument(doc([{ text }]), opts);
    expect(chunks.length).toBeGreaterThan(10);
    expectSizes(chunks, opts.maxTokens);
    expectNoLostText([{ text }], chunks);
    let withOverlap = 0;
    for (let i = 1; i < chunks.length; i++) {
      const prev = chunks[i - 1].text;
      const cur = chunks[i].text;
      // longest prefix of cur that is a suffix of prev at a whitespace boundary
      let best = '';
      for (let k = 1; k <= Math.min(prev.length, cur.length); k++) {
        const p = cur.slice(0, k);
        if (prev.endsWith(p) && (k === cur.length || /\s/.test(cur[k])) && (prev.length === k || /\s/.test(prev[prev.length - k - 1]))) best = p;
      }
      if (best) {
        withOverlap++;
        expect(estimateTokens(best)).toBeLessThanOrEqual(opts.overlapTokens);
      }
    }
    expect(withOverlap).toBeGreaterThanOrEqual(Math.floor((chunks.length - 1) * 0.8));
  });

  it('does not carry overlap across sections', () => {
    const sections: ParsedSection[] = [
      { text: prose(600, 3), heading: 'A' },
      { text: 'Beginning of B. ' + prose(600, 4), heading: 'A' },
    ];
    const chunks = chunkDocument(doc(sections), { maxTokens: 120, overlapTokens: 30 });
    expectNoLostText(sections, chunks);
    expect(chunks.some((c) => c.text.startsWith('Beginning of B.'))).toBe(true);
  });

  it('prefers paragraph, then line, then sentence boundaries', () => {
    const para = (i: number): string => `Paragraph ${i} starts here. ` + 'This sentence is filler text. '.repeat(8).trim();
    const text = Array.from({ length: 12 }, (_, i) => para(i)).join('\n\n');
    const perPara = estimateTokens(para(0));
    const chunks = chunkDocument(doc([{ text }]), { maxTokens: perPara * 3 + 5, overlapTokens: 0 });
    for (const c of chunks) {
      expect(c.text.startsWith('Paragraph ')).toBe(true);
      expect(c.text.endsWith('filler text.')).toBe(true);
    }
    // a paragraph larger than the budget splits at sentence ends, not mid-sentence
    const long = 'One short sentence here. '.repeat(100).trim();
    const small = chunkDocument(doc([{ text: long }]), { maxTokens: 40, overlapTokens: 0 });
    for (const c of small) {
      expect(c.text.startsWith('One')).toBe(true);
      expect(c.text.endsWith('here.')).toBe(true);
    }
  });

  it('hard-splits a word longer than the budget and splits CJK text at its own punctuation', () => {
    // pseudo-random content keeps the no-lost-text check unambiguous
    const r = rng(3);
    const pick = (alphabet: string[], n: number): string => Array.from({ length: n }, () => alphabet[Math.floor(r() * alphabet.length)]).join('');
    const word = pick('abcdefghijklmnopqrstuvwxyz'.split(''), 5000);
    const text = `before ${word} after`;
    const chunks = chunkDocument(doc([{ text }]), { maxTokens: 50, overlapTokens: 10 });
    expect(chunks.length).toBeGreaterThan(20);
    expectSizes(chunks, 50);
    expectNoLostText([{ text }], chunks);

    const han = '这是一个测试句子它没有空格中文本数据处理系统'.split('');
    const cjk = Array.from({ length: 200 }, () => pick(han, 6) + '，' + pick(han, 7) + '。').join('');
    const cjkChunks = chunkDocument(doc([{ text: cjk }]), { maxTokens: 60, overlapTokens: 10 });
    expectSizes(cjkChunks, 60);
    expectNoLostText([{ text: cjk }], cjkChunks);
    for (const c of cjkChunks) expect(c.text.endsWith('。')).toBe(true);

    const emoji = pick(['😀', '🎉', '🚀', '🍕', '🌍'], 1000); // surrogate pairs must never be split
    const emojiChunks = chunkDocument(doc([{ text: emoji }]), { maxTokens: 11, overlapTokens: 0 });
    expectSizes(emojiChunks, 11);
    expectNoLostText([{ text: emoji }], emojiChunks);
    for (const c of emojiChunks) expect(c.text).toMatch(/^(?:😀|🎉|🚀|🍕|🌍)+$/u);
  });

  it('collapses huge whitespace gaps instead of copying them into chunks', () => {
    const text = 'left' + ' \t'.repeat(50_000) + 'right\n' + '\n'.repeat(1000) + 'end';
    const chunks = chunkDocument(doc([{ text }]), DEFAULT_CHUNK_OPTIONS);
    expect(chunks.map((c) => c.text)).toEqual(['left right\n\nend']);
  });

  it('keeps sizes within maxTokens on mixed, messy input', () => {
    const r = rng(42);
    const pieces = ['word', 'WORD', '12345', '你好', '😀', '(', ')', '.', ' ', '\n', '\n\n', '\t', 'é', 'a\u0301', 'Ünïcödé', 'https://x.y/z?q=1', '。'];
    for (let round = 0; round < 30; round++) {
      const text = Array.from({ length: 400 + round * 50 }, () => pieces[Math.floor(r() * pieces.length)]).join('');
      const maxTokens = 2 + Math.floor(r() * 80);
      const overlapTokens = Math.floor(r() * (maxTokens - 1));
      const sections = [{ text, page: 1 }];
      const chunks = chunkDocument(doc(sections), { maxTokens, overlapTokens });
      expectSizes(chunks, maxTokens);
      expectNoLostText(sections, chunks);
      expectOffsets(sections, chunks);
    }
  });

  it('records where each chunk lies in the extracted text, across sections, blank ones and overlap', () => {
    const sections: ParsedSection[] = [
      { text: prose(300, 21), page: 1 },
      { text: '   \n ', page: 1 },
      { text: prose(40, 22), page: 1 },
      { text: prose(40, 23), page: 1 },
      { text: prose(600, 24), page: 2 },
      { text: 'left' + ' '.repeat(400) + 'right', page: 3 },
    ];
    const chunks = chunkDocument(doc(sections, 'pdf'), { maxTokens: 60, overlapTokens: 15 });
    expect(chunks.length).toBeGreaterThan(10);
    expectOffsets(sections, chunks);
    // The last chunk ends exactly where the text does; a collapsed gap still spans the original.
    const last = chunks[chunks.length - 1];
    expect(last.text).toBe('left right');
    expect(last.charEnd).toBe(extractedText(doc(sections)).length);
    expect((last.charEnd as number) - (last.charStart as number)).toBe(409);
  });

  it('carries heading paths and the lowest OCR confidence, and keeps same-named headings of different chapters apart', () => {
    const sections: ParsedSection[] = [
      { text: 'Scope of the pump manual.', heading: 'Introduction', headingPath: ['Pumps', 'Introduction'], page: 1, ocrConfidence: 91 },
      { text: 'More about pumps.', heading: 'Introduction', headingPath: ['Pumps', 'Introduction'], page: 1, ocrConfidence: 64.5 },
      { text: 'Scope of the valve manual.', heading: 'Introduction', headingPath: ['Valves', 'Introduction'], page: 1 },
      { text: 'A parser that names only the nearest heading.', heading: 'Notes' },
    ];
    const chunks = chunkDocument(doc(sections, 'docx'), DEFAULT_CHUNK_OPTIONS);
    expect(chunks.map((c) => [c.text, c.headingPath, c.ocrConfidence])).toEqual([
      ['Scope of the pump manual.\n\nMore about pumps.', ['Pumps', 'Introduction'], 64.5],
      ['Scope of the valve manual.', ['Valves', 'Introduction'], null],
      ['A parser that names only the nearest heading.', ['Notes'], null],
    ]);
    // The chunk's path is its own copy, not the parsed section's array.
    expect(chunks[0].headingPath).not.toBe(sections[0].headingPath);
  });

  it('is deterministic', () => {
    const sections: ParsedSection[] = [
      { text: prose(2000, 5), page: 1 },
      { text: 'r1 a\nr2 b\nr3 c', sheet: 'S', rowStart: 1, rowEnd: 3 },
      { text: '日本語のテキスト。'.repeat(80), page: 2 },
    ];
    const a = chunkDocument(doc(sections), DEFAULT_CHUNK_OPTIONS);
    chunkDocument(doc([{ text: 'unrelated ∑ ∫ текст' }]), { maxTokens: 10, overlapTokens: 2 });
    const b = chunkDocument(doc(sections), DEFAULT_CHUNK_OPTIONS);
    expect(b).toEqual(a);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });

  it('rejects invalid options', () => {
    const d = doc([{ text: 'x' }]);
    expect(() => chunkDocument(d, { maxTokens: 0, overlapTokens: 0 })).toThrow(RangeError);
    expect(() => chunkDocument(d, { maxTokens: 1.5, overlapTokens: 0 })).toThrow(RangeError);
    expect(() => chunkDocument(d, { maxTokens: 10, overlapTokens: 9 })).toThrow(RangeError);
    expect(() => chunkDocument(d, { maxTokens: 10, overlapTokens: -1 })).toThrow(RangeError);
    expect(() => chunkDocument(d, { maxTokens: 10, overlapTokens: 8 })).not.toThrow();
  });
});

describe('chunkDocument linearity (work counted, not timed)', () => {
  const shapes: Record<string, (n: number) => string> = {
    prose: (n) => prose(Math.ceil(n / 6), 11).slice(0, n),
    'giant line': (n) => 'abcdefghij'.repeat(Math.ceil(n / 10)).slice(0, n),
    "redos 'a'*n+'!'": (n) => 'a'.repeat(n - 1) + '!',
    'nested brackets': (n) => '('.repeat(n >> 1) + ')'.repeat(n - (n >> 1)),
    "'\\t'*n": (n) => '\t'.repeat(n - 1) + 'x',
    'word/tab alternation': (n) => 'a\t'.repeat(n >> 1),
    'sentence storm': (n) => '. '.repeat(n >> 1),
    CJK: (n) => '这是一个测试句子，它没有空格。'.repeat(Math.ceil(n / 15)).slice(0, n),
    'newline storm': (n) => 'w\n'.repeat(n >> 2) + '\n'.repeat(n >> 1),
  };

  function measure(text: string, sections = 1): { steps: number; outChars: number } {
    const per = Math.ceil(text.length / sections);
    const secs: ParsedSection[] = [];
    for (let i = 0; i < sections; i++) secs.push({ text: text.slice(i * per, (i + 1) * per), page: 1 });
    const meter: WorkMeter = { steps: 0 };
    const chunks = chunkDocument(doc(secs), DEFAULT_CHUNK_OPTIONS, meter);
    return { steps: meter.steps, outChars: chunks.reduce((s, c) => s + c.text.length, 0) };
  }

  for (const [name, make] of Object.entries(shapes)) {
    it(`does O(n) work and emits O(n) text: ${name}`, () => {
      const n = 200_000;
      const small = measure(make(n));
      const big = measure(make(4 * n));
      // quadruple input => about quadruple work; a quadratic pass would give ~16x
      expect(big.steps / small.steps).toBeGreaterThan(3.5);
      expect(big.steps / small.steps).toBeLessThan(4.5);
      expect(big.steps / (4 * n)).toBeLessThan(12);
      // overlap is bounded, so output stays within a constant factor of input
      expect(big.outChars).toBeLessThanOrEqual(4 * n * 1.5);
    });
  }

  it('does O(n) work with many tiny sections', () => {
    const text = prose(40_000, 3);
    const a = measure(text, 2_000);
    const b = measure(text + text + text + text, 8_000);
    expect(b.steps / a.steps).toBeGreaterThan(3.5);
    expect(b.steps / a.steps).toBeLessThan(4.5);
  });
});

describe('chunkOptionsWith', () => {
  const configured = { maxTokens: 300, overlapTokens: 40 };
  it('takes what a re-index asked for over the configured options', () => {
    expect(chunkOptionsWith(configured, undefined)).toEqual(configured);
    expect(chunkOptionsWith(configured, {})).toEqual(configured);
    expect(chunkOptionsWith(configured, { maxTokens: 120 })).toEqual({ maxTokens: 120, overlapTokens: 40 });
    expect(chunkOptionsWith(configured, { maxTokens: 120, overlapTokens: 0 })).toEqual({ maxTokens: 120, overlapTokens: 0 });
  });
  it('shrinks an overlap that does not fit the size to what fits', () => {
    expect(chunkOptionsWith(configured, { maxTokens: 20 })).toEqual({ maxTokens: 20, overlapTokens: 18 });
    expect(chunkOptionsWith(configured, { overlapTokens: 500 })).toEqual({ maxTokens: 300, overlapTokens: 298 });
    expect(chunkOptionsWith(configured, { maxTokens: 2 })).toEqual({ maxTokens: 2, overlapTokens: 0 });
  });
});
