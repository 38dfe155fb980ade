import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { reasonCodeOf } from '../../test/fixtures/errors.js';
import { epubParts, makeEpub } from '../../test/fixtures/format-documents.js';
import { DEFAULT_PARSE_LIMITS } from './index.js';
import { parseEpub, readPackageDocument } from './epub.js';

const chapters = [
  { file: 'one.xhtml', body: '<h1>Chapter One</h1><p>The lighthouse stood alone.</p><script>alert("SCRIPT")</script>' },
  { file: 'text/two.xhtml', body: '<h1>Chapter Two</h1><h2>Dawn</h2><p>Morning fog rolled in.</p>' },
];

describe('parseEpub', () => {
  it('reads the chapters in spine order, title first, with heading paths', async () => {
    const doc = await parseEpub(makeEpub('Tales of the Coast', chapters, ['text/two.xhtml', 'one.xhtml']), DEFAULT_PARSE_LIMITS);
    expect(doc.format).toBe('epub');
    expect(doc.sections).toEqual([
      { text: 'Tales of the Coast' },
      { text: 'Chapter Two', heading: 'Chapter Two', headingPath: ['Chapter Two'] },
      { text: 'Dawn\nMorning fog rolled in.', heading: 'Dawn', headingPath: ['Chapter Two', 'Dawn'] },
      { text: 'Chapter One\nThe lighthouse stood alone.', heading: 'Chapter One', headingPath: ['Chapter One'] },
    ]);
  });

  it('resolves manifest paths inside the book only and skips non-XHTML spine items', () => {
    const opf =
      '<package xmlns="http://www.idpf.org/2007/opf"><metadata xmlns:dc="dc"><dc:title> A  Book </dc:title></metadata><manifest>' +
      '<item id="a" href="../../../etc/passwd" media-type="application/xhtml+xml"/><item id="b" href="ch%201.xhtml" media-type="application/xhtml+xml"/>' +
      '<item id="c" href="cover.png" media-type="image/png"/><item id="d" href="http://example.com/x.xhtml" media-type="application/xhtml+xml"/></manifest>' +
      '<spine><itemref idref="c"/><itemref idref="a"/><itemref idref="d"/><itemref idref="b"/><itemref idref="missing"/></spine></package>';
    expect(readPackageDocument(opf, 'OEBPS/content.opf')).toEqual({ title: 'A Book', chapters: ['OEBPS/ch 1.xhtml'] });
  });

  it('is encrypted when the chapters are DRM-protected, but not for obfuscated fonts', async () => {
    const drm = epubParts('Locked', chapters);
    drm['META-INF/encryption.xml'] = strToU8(
      '<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData><enc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/><enc:CipherData><enc:CipherReference URI="OEBPS/one.xhtml"/></enc:CipherData></enc:EncryptedData></encryption>',
    );
    expect(await reasonCodeOf(parseEpub(Buffer.from(zipSync(drm)), DEFAULT_PARSE_LIMITS))).toBe('encrypted');
    const fonts = epubParts('Fonts', chapters);
    fonts['META-INF/encryption.xml'] = strToU8(
      '<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData><enc:EncryptionMethod Algorithm="http://www.idpf.org/2008/embedding"/><enc:CipherData><enc:CipherReference URI="OEBPS/font.otf"/></enc:CipherData></enc:EncryptedData></encryption>',
    );
    expect((await parseEpub(Buffer.from(zipSync(fonts)), DEFAULT_PARSE_LIMITS)).sections.length).toBeGreaterThan(1);
  });

  it('refuses a book without a container or with entity declarations in its package files', async () => {
    const noContainer = epubParts('X', chapters);
    delete noContainer['META-INF/container.xml'];
    expect(await reasonCodeOf(parseEpub(Buffer.from(zipSync(noContainer)), DEFAULT_PARSE_LIMITS))).toBe('corrupt');
    const laughs = epubParts('X', chapters);
    laughs['OEBPS/content.opf'] = strToU8('<?xml version="1.0"?><!DOCTYPE package [<!ENTITY lol "lol">]><package/>');
    expect(await reasonCodeOf(parseEpub(Buffer.from(zipSync(laughs)), DEFAULT_PARSE_LIMITS))).toBe('corrupt');
  });

  it('leaves entities a chapter DTD declares unexpanded', async () => {
    const parts = epubParts('Entities', [{ file: 'c.xhtml', body: '<p>Safe text &lol9;</p>' }]);
    const chapter = new TextDecoder()
      .decode(parts['OEBPS/c.xhtml'] as Uint8Array)
      .replace('<!DOCTYPE html>', '<!DOCTYPE html [<!ENTITY lol "lol"><!ENTITY lol9 "&lol;&lol;&lol;">]>');
    parts['OEBPS/c.xhtml'] = strToU8(chapter);
    const doc = await parseEpub(Buffer.from(zipSync(parts)), DEFAULT_PARSE_LIMITS);
    expect(doc.sections.at(-1)!.text).toBe('Safe text &lol9;');
  });
});
