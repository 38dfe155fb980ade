import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { makeText } from '../../test/fixtures/documents.js';
import { makeInvalidUtf8Text } from '../../test/fixtures/hostile.js';
import { decodeText, guessUtf16, looksLikeBrokenUtf8, plausibility, sanitizeText } from './encoding.js';
import { syncReasonCodeOf as codeOf } from '../../test/fixtures/errors.js';

const FRENCH = 'Café naïve résumé £ ½ — déjà vu\n';

describe('decodeText', () => {
  it('reads valid UTF-8 as UTF-8', () => {
    expect(decodeText(makeText('Grüße, 世界\n'))).toEqual({ text: 'Grüße, 世界\n', encoding: 'UTF-8' });
  });

  it('strips a UTF-8 BOM', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), makeText('hello')]);
    expect(decodeText(bytes)).toEqual({ text: 'hello', encoding: 'UTF-8' });
  });

  it('transcodes Latin-1 text correctly (reported as windows-1252, its superset)', () => {
    const latin1 = makeText(FRENCH.replace('—', '-').repeat(50), 'latin1');
    const { text, encoding } = decodeText(latin1);
    expect(encoding).toBe('windows-1252');
    expect(text.split('\n')[0]).toBe('Café naïve résumé £ ½ - déjà vu');
    expect(text).not.toContain('\uFFFD');
  });

  it('keeps short French Latin-1 text Western even when chardet favours ISO-8859-2', () => {
    expect(decodeText(makeText('Crème brûlée à la carte\n', 'latin1')).text).toBe('Crème brûlée à la carte\n');
  });

  it('decodes Central European text in windows-1250', () => {
    const czech = 'Příliš žluťoučký kůň úpěl ďábelské ódy. Česká republika je země ve střední Evropě.\n'.repeat(5);
    expect(decodeText(iconv.encode(czech, 'windows-1250'))).toEqual({ text: czech, encoding: 'windows-1250' });
  });

  it('detects UTF-16LE without a BOM', () => {
    const { text, encoding } = decodeText(makeText('hello world, ça va?\n'.repeat(20), 'utf16le'));
    expect(encoding).toBe('UTF-16LE');
    expect(text.startsWith('hello world, ça va?\nhello')).toBe(true);
  });

  it('detects UTF-16BE without a BOM', () => {
    const le = makeText('big endian text\n'.repeat(10), 'utf16le');
    const be = Buffer.from(le);
    be.swap16();
    expect(decodeText(be)).toMatchObject({ encoding: 'UTF-16BE' });
    expect(decodeText(be).text.startsWith('big endian text')).toBe(true);
  });

  it('honours a UTF-16LE BOM and refuses invalid UTF-16 behind it', () => {
    const ok = Buffer.concat([Buffer.from([0xff, 0xfe]), makeText('bom text', 'utf16le')]);
    expect(decodeText(ok)).toEqual({ text: 'bom text', encoding: 'UTF-16LE' });
    const loneSurrogate = Buffer.from([0xff, 0xfe, 0x61, 0x00, 0x00, 0xd8, 0x62, 0x00]);
    expect(codeOf(() => decodeText(loneSurrogate))).toBe('encoding_error');
  });

  it('fails invalid UTF-8 with encoding_error instead of producing replacement characters', () => {
    expect(codeOf(() => decodeText(makeInvalidUtf8Text()))).toBe('encoding_error');
  });

  it('refuses mostly-UTF-8 text with a few broken sequences', () => {
    const mixed = Buffer.concat([makeText('naïve café résumé '.repeat(30)), Buffer.from([0xc3, 0x28, 0xa0, 0xa1])]);
    expect(codeOf(() => decodeText(mixed))).toBe('encoding_error');
  });

  it('strips NULs, control characters, zero-width and bidi controls; keeps tabs and newlines', () => {
    const raw = Buffer.from('abc\x00def\x01\x07\tghi\r\nline\u200b two\u202e rev\u202c\ufeff\u2066x\u2069\x7f\u0085end', 'utf8');
    expect(decodeText(raw).text).toBe('abcdef\tghi\nline two revxend');
  });

  it.each([
    ['cp737', 'Η γρήγορη καφέ αλεπού πηδάει πάνω από τον τεμπέλη σκύλο. Καλημέρα κόσμε!\n'],
    ['cp850', 'Über die Brücke gehen Müller und Söhne; à bientôt, garçon! Año nuevo.\n'],
    ['cp866', 'Съешь же ещё этих мягких французских булок, да выпей чаю. Привет, мир!\n'],
    ['macintosh', 'Crème brûlée à la carte, déjà vu, naïve façade — « quel été »\n'],
    ['KOI8-R', 'Съешь же ещё этих мягких французских булок, да выпей чаю.\n'],
  ])('detects legacy code page %s', (encoding, line) => {
    const text = line.repeat(4);
    expect(decodeText(iconv.encode(text, encoding))).toEqual({ text, encoding });
  });

  it('still reads Japanese in Shift_JIS', () => {
    const text = '日本語のテキストです。東京は今日も晴れています。カタカナも少し。\n'.repeat(4);
    expect(decodeText(iconv.encode(text, 'Shift_JIS'))).toEqual({ text, encoding: 'Shift_JIS' });
  });

  it('reads Greek in windows-1253 (or ISO-8859-7, identical for these letters)', () => {
    const text = 'Η γρήγορη καφέ αλεπού πηδάει πάνω από τον τεμπέλη σκύλο.\n'.repeat(4);
    const decoded = decodeText(iconv.encode(text, 'windows-1253'));
    expect(decoded.text).toBe(text);
    expect(decoded.encoding).toMatch(/^(windows-1253|ISO-8859-7)$/);
  });

  it('refuses bytes no code page reads cleanly, naming what was tried', () => {
    const noise = Buffer.from(Array.from({ length: 400 }, (_, i) => (i % 3 === 0 ? 0x20 : 0x80 + ((i * 37) % 128))));
    let message = '';
    try {
      decodeText(noise);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^The text is not valid UTF-8 and no encoding tried reads it cleanly \(tried .*cp737.*macintosh.*\)/);
    expect(codeOf(() => decodeText(noise))).toBe('encoding_error');
  });

  it('scores wrong code pages as implausible', () => {
    expect(plausibility('café déjà')).toBe(1);
    expect(plausibility('cafÉ dÚjÓ')).toBe(0);
    expect(plausibility('naÃ¯ve cafÃ©')).toBeLessThan(0.5);
    expect(plausibility('╔══╗ ░▒▓')).toBe(0);
  });

  it('returns empty text for empty input', () => {
    expect(decodeText(new Uint8Array(0)).text).toBe('');
  });
});

describe('helpers', () => {
  it('does not mistake text with embedded NULs for UTF-16', () => {
    expect(guessUtf16(Buffer.from('abc\x00def\x00'.repeat(100)))).toBeNull();
    expect(guessUtf16(makeText('plain ascii text', 'utf16le'))).toBe('UTF-16LE');
  });

  it('tells broken UTF-8 from Latin-1', () => {
    expect(looksLikeBrokenUtf8(makeText(FRENCH.replace('—', '-'), 'latin1'))).toBe(false);
    expect(looksLikeBrokenUtf8(makeInvalidUtf8Text())).toBe(true);
  });

  it('removes lone surrogates and normalizes line breaks', () => {
    expect(sanitizeText('a\uD800b\uDC00c\uD83D\uDE00\r\rd\u2028e\ff')).toBe('abc\uD83D\uDE00\n\nd\ne\nf');
  });

  it('sanitizes multi-megabyte adversarial input in linear time', () => {
    const hostile = 'a' + ' '.repeat(2_000_000) + '\u200b'.repeat(500_000) + '\r'.repeat(500_000) + 'b';
    const started = performance.now();
    const out = sanitizeText(hostile);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(out.length).toBe(1 + 2_000_000 + 500_000 + 1);
  });
});
