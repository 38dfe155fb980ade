import { describe, expect, it } from 'vitest';
import { reasonCodeOf } from '../../test/fixtures/errors.js';
import { makeText } from '../../test/fixtures/documents.js';
import { DEFAULT_PARSE_LIMITS } from './index.js';
import { parseText } from './text.js';
import { atxHeading, parseMarkdown } from './markdown.js';

describe('parseText', () => {
  it('returns the decoded, sanitized text with its encoding', async () => {
    const doc = await parseText(makeText('first line\r\nsecond\x00 line\n', 'latin1'), DEFAULT_PARSE_LIMITS);
    expect(doc).toEqual({ format: 'txt', sections: [{ text: 'first line\nsecond line' }], encoding: 'UTF-8' });
  });

  it('decodes Latin-1 and UTF-16LE files', async () => {
    const latin = await parseText(makeText('Crème brûlée à la carte\n'.repeat(20), 'latin1'), DEFAULT_PARSE_LIMITS);
    expect(latin.sections[0].text.startsWith('Crème brûlée à la carte\n')).toBe(true);
    const utf16 = await parseText(makeText('hello world\n'.repeat(50), 'utf16le'), DEFAULT_PARSE_LIMITS);
    expect(utf16.encoding).toBe('UTF-16LE');
    expect(utf16.sections[0].text.split('\n')).toHaveLength(50);
  });

  it('refuses whitespace-only and invisible-only files with no_extractable_text', async () => {
    expect(await reasonCodeOf(parseText(makeText(' \n\t\n'), DEFAULT_PARSE_LIMITS))).toBe('no_extractable_text');
    expect(await reasonCodeOf(parseText(makeText('\u200b\u200c\u202e\ufeff'.repeat(100)), DEFAULT_PARSE_LIMITS))).toBe('no_extractable_text');
  });

  it('enforces maxChars', async () => {
    const limits = { ...DEFAULT_PARSE_LIMITS, maxChars: 100 };
    expect(await reasonCodeOf(parseText(makeText('x'.repeat(101)), limits))).toBe('limit_exceeded');
    expect((await parseText(makeText('x'.repeat(100)), limits)).sections[0].text).toHaveLength(100);
  });
});

describe('parseMarkdown', () => {
  it('splits at ATX headings and records the nearest heading', async () => {
    const md = ['Preamble text.', '', '# Intro', 'Intro body.', '', '## Details ##', 'Detail body.', '#hashtag is not a heading', '###### Deep', 'deep body'].join('\n');
    const doc = await parseMarkdown(makeText(md), DEFAULT_PARSE_LIMITS);
    expect(doc.format).toBe('md');
    expect(doc.sections).toEqual([
      { text: 'Preamble text.' },
      { text: '# Intro\nIntro body.', heading: 'Intro' },
      { text: '## Details ##\nDetail body.\n#hashtag is not a heading', heading: 'Details' },
      { text: '###### Deep\ndeep body', heading: 'Deep' },
    ]);
  });

  it('ignores headings inside fenced code blocks', async () => {
    const md = [
      '# Real',
      '```bash',
      '# just a comment',
      '```',
      '~~~~',
      '# also code',
      '~~~',
      '# still code: a shorter fence does not close',
      '~~~~~',
      'real again',
      '# Next',
      'x',
    ].join('\n');
    const doc = await parseMarkdown(makeText(md), DEFAULT_PARSE_LIMITS);
    expect(doc.sections.map((s) => s.heading)).toEqual(['Real', 'Next']);
    expect(doc.sections[0].text).toContain('# just a comment');
  });

  it('parses CommonMark ATX edge cases', () => {
    expect(atxHeading('#')).toBe('');
    expect(atxHeading('   ### Title ###   ')).toBe('Title');
    expect(atxHeading('    # indented code')).toBeNull();
    expect(atxHeading('####### seven')).toBeNull();
    expect(atxHeading('# C# language')).toBe('C# language');
    expect(atxHeading('# trailing#')).toBe('trailing#');
  });

  it('handles pathological lines in linear time', async () => {
    const md = '#'.repeat(300_000) + '\n' + '# ' + '#'.repeat(300_000) + ' x\n' + '`'.repeat(200_000) + '\nbody';
    const started = performance.now();
    const doc = await parseMarkdown(makeText(md), DEFAULT_PARSE_LIMITS);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(doc.sections.length).toBeGreaterThan(0);
  });
});
