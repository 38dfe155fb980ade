import { describe, expect, it } from 'vitest';
import { reasonCodeOf } from '../../test/fixtures/errors.js';
import { makeRtf } from '../../test/fixtures/format-documents.js';
import { DEFAULT_PARSE_LIMITS } from './index.js';
import { MAX_RTF_DEPTH, parseRtf, readRtf } from './rtf.js';

const lines = (source: string) => readRtf(source).map((b) => b.text);

describe('readRtf', () => {
  it('decodes \\uN with its fallback skipped, \\ucN, and escaped symbols', () => {
    expect(lines("{\\rtf1\\ansi caf\\u233?\\par \\uc2 na\\u239\\'3f\\'3fve\\par {\\uc0 \\u26085\\u26412}\\par a\\\\b \\{c\\} d\\~e\\_f\\-g}")).toEqual([
      'café',
      'naïve',
      '日本',
      'a\\b {c} d e-fg',
    ]);
    // Negative N wraps at 65536; surrogate pairs come out whole.
    expect(lines('{\\rtf1 \\u-10179?\\u-8704?\\par}')).toEqual(['😀']);
  });

  it("decodes \\'hh bytes through \\ansicpg, and through a font's charset when one is selected", () => {
    expect(lines("{\\rtf1\\ansi\\ansicpg1252 Cr\\'e8me br\\'fbl\\'e9e\\par}")).toEqual(['Crème brûlée']);
    const cyrillic =
      "{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\fswiss\\fcharset0 Arial;}{\\f1\\fnil\\fcharset204 Arial Cyr;}}\\f1 \\'cf\\'f0\\'e8\\'e2\\'e5\\'f2\\f0  and caf\\'e9\\par}";
    expect(lines(cyrillic)).toEqual(['Привет and café']);
    expect(lines("{\\rtf1\\ansi\\ansicpg932 \\'93\\'fa\\'96\\'7b\\par}")).toEqual(['日本']);
  });

  it('skips non-text destinations: tables, info, pictures, objects, field instructions, \\* groups and binary runs', () => {
    const source =
      '{\\rtf1\\ansi{\\fonttbl{\\f0 FONTNAME;}}{\\colortbl;\\red1\\green2\\blue3;}{\\stylesheet{\\s1 STYLENAME;}}{\\info{\\title INFOTITLE}{\\author AUTHOR}}' +
      '{\\*\\generator GENERATOR;}Before {\\pict\\pngblip 89504e470d0a1a0a0000}picture.\\par ' +
      '{\\field{\\*\\fldinst HYPERLINK "http://example.com"}{\\fldrslt Link text}}\\par ' +
      '{\\object\\objemb{\\*\\objclass Excel}{\\objdata 0105000002000000}{\\result Object result}}\\par ' +
      'Bin {\\bin6 }{{}x} after\\par}';
    expect(lines(source)).toEqual(['Before picture.', 'Link text', 'Object result', 'Bin after']);
  });

  it('separates table cells with tabs, one line per row, and marks outline-level paragraphs as headings', () => {
    expect(readRtf('{\\rtf1 \\trowd\\cellx1000\\cellx2000 \\intbl Boat\\cell Time\\cell\\row \\intbl Ferry\\cell 09:00\\cell\\row}')).toEqual([
      { text: 'Boat\tTime' },
      { text: 'Ferry\t09:00' },
    ]);
    expect(readRtf('{\\rtf1 \\pard\\outlinelevel0 Title\\par \\pard Body\\line more\\par \\pard\\outlinelevel1 Sub\\par}')).toEqual([
      { text: 'Title', level: 1 },
      { text: 'Body\nmore' },
      { text: 'Sub', level: 2 },
    ]);
  });

  it('refuses absurd group nesting but reads unbalanced braces', () => {
    expect(() => readRtf(`{\\rtf1 ${'{'.repeat(MAX_RTF_DEPTH + 1)}x`)).toThrowError(/levels deep/);
    expect(lines('{\\rtf1 unclosed {group text\\par')).toEqual(['unclosed group text']);
    expect(lines('{\\rtf1 extra}} closing\\par}')).toEqual(['extra closing']);
  });
});

describe('parseRtf', () => {
  it('cuts at headings with heading paths', async () => {
    const doc = await parseRtf(
      makeRtf([{ text: 'Operations', heading: 1 }, { text: 'Storm season begins in October.' }, { text: 'Harbour', heading: 2 }, { text: 'Ferries {and} tugs.' }]),
      DEFAULT_PARSE_LIMITS,
    );
    expect(doc.sections).toEqual([
      { text: 'Operations\nStorm season begins in October.', heading: 'Operations', headingPath: ['Operations'] },
      { text: 'Harbour\nFerries {and} tugs.', heading: 'Harbour', headingPath: ['Operations', 'Harbour'] },
    ]);
  });

  it('reads past a huge embedded picture in linear time and fails an RTF without text', async () => {
    const picture = `{\\pict\\pngblip ${'0123456789abcdef'.repeat(500_000)}}`;
    const doc = await parseRtf(Buffer.from(`{\\rtf1\\ansi Before the picture.\\par ${picture} After the picture.\\par}`, 'latin1'), DEFAULT_PARSE_LIMITS);
    expect(doc.sections[0].text).toBe('Before the picture.\nAfter the picture.');
    expect(await reasonCodeOf(parseRtf(Buffer.from(`{\\rtf1\\ansi{\\fonttbl{\\f0 Arial;}}${picture}}`, 'latin1'), DEFAULT_PARSE_LIMITS))).toBe('no_extractable_text');
    expect(await reasonCodeOf(parseRtf(Buffer.from(`{\\rtf1 ${'{'.repeat(5000)}deep`, 'latin1'), DEFAULT_PARSE_LIMITS))).toBe('limit_exceeded');
  });
});
