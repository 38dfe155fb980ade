import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { reasonCodeOf } from '../../test/fixtures/errors.js';
import { docxDocument, docxParts, makeDocx } from '../../test/fixtures/documents.js';
import { makeBillionLaughsDocx, makeXxeDocx } from '../../test/fixtures/hostile.js';
import { DEFAULT_PARSE_LIMITS } from './index.js';
import { parseDocx } from './docx.js';
import { decodeEntities, htmlToSections } from './html-sections.js';
import { DeclarationScanner } from './xml-guard.js';

describe('parseDocx', () => {
  it('splits at headings and records each section heading', async () => {
    const bytes = makeDocx([
      { text: 'Cover note before any heading.' },
      { text: 'Coastal operations', heading: 1 },
      { text: 'Storm season begins in October & ends in <March>.' },
      { text: 'Harbour', heading: 2 },
      { text: 'Line one\nline two' },
      { text: 'Appendix', heading: 3 },
    ]);
    const doc = await parseDocx(bytes, DEFAULT_PARSE_LIMITS);
    expect(doc.format).toBe('docx');
    expect(doc.sections).toEqual([
      { text: 'Cover note before any heading.' },
      { heading: 'Coastal operations', text: 'Coastal operations\nStorm season begins in October & ends in <March>.' },
      { heading: 'Harbour', text: 'Harbour\nLine one\nline two' },
      { heading: 'Appendix', text: 'Appendix' },
    ]);
  });

  it('renders tables as tab-separated rows', async () => {
    const cell = (t: string) => `<w:tc><w:p><w:r><w:t>${t}</w:t></w:r></w:p></w:tc>`;
    const table = `<w:tbl><w:tr>${cell('Name')}${cell('Role')}</w:tr><w:tr>${cell('Ada')}${cell('Engineer')}</w:tr></w:tbl>`;
    const bytes = Buffer.from(zipSync(docxParts(docxDocument(`<w:p><w:r><w:t>Team</w:t></w:r></w:p>${table}`))));
    expect((await parseDocx(bytes, DEFAULT_PARSE_LIMITS)).sections[0].text).toBe('Team\nName\tRole\nAda\tEngineer');
  });

  it('never reads files linked as external images', async () => {
    const drawing =
      '<w:p><w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"><wp:extent cx="100" cy="100"/><wp:docPr id="1" name="p"/>' +
      '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">' +
      '<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:nvPicPr><pic:cNvPr id="0" name="x"/><pic:cNvPicPr/></pic:nvPicPr>' +
      '<pic:blipFill><a:blip xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:link="rIdImg"/></pic:blipFill><pic:spPr/></pic:pic>' +
      '</a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>';
    const parts = docxParts(docxDocument(`<w:p><w:r><w:t>before</w:t></w:r></w:p>${drawing}<w:p><w:r><w:t>after</w:t></w:r></w:p>`));
    parts['word/_rels/document.xml.rels'] = strToU8(
      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>' +
        '<Relationship Id="rIdImg" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="file:///etc/passwd" TargetMode="External"/>' +
        '</Relationships>',
    );
    const doc = await parseDocx(Buffer.from(zipSync(parts)), DEFAULT_PARSE_LIMITS);
    expect(doc.sections).toEqual([{ text: 'before\nafter' }]);
  });

  it('refuses DTD entity tricks with corrupt, without expanding them', async () => {
    const started = performance.now();
    expect(await reasonCodeOf(parseDocx(makeBillionLaughsDocx(), DEFAULT_PARSE_LIMITS))).toBe('corrupt');
    expect(await reasonCodeOf(parseDocx(makeXxeDocx(), DEFAULT_PARSE_LIMITS))).toBe('corrupt');
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('classifies non-documents as corrupt and empty documents as no_extractable_text', async () => {
    expect(await reasonCodeOf(parseDocx(Buffer.from('PK\x03\x04 not really a zip'), DEFAULT_PARSE_LIMITS))).toBe('corrupt');
    expect(await reasonCodeOf(parseDocx(makeDocx([{ text: '' }, { text: '  ' }]), DEFAULT_PARSE_LIMITS))).toBe('no_extractable_text');
  });
});

describe('DeclarationScanner', () => {
  const scan = (...chunks: string[]) => {
    const s = new DeclarationScanner();
    for (const c of chunks) s.push(Buffer.from(c, c.includes('\u00a7') ? 'utf16le' : 'utf8'));
    return s.found;
  };

  it('finds declarations, also across chunk boundaries and in UTF-16', () => {
    expect(scan('<?xml version="1.0"?><!DOCTYPE x><x/>')).toBe(true);
    expect(scan('<?xml?><', '!', 'ENTITY a "b">')).toBe(true);
    const s = new DeclarationScanner();
    s.push(Buffer.from('<?xml?><!DOCTYPE x><x/>', 'utf16le'));
    expect(s.found).toBe(true);
  });

  it('allows comments, CDATA and ordinary markup', () => {
    expect(scan('<?xml?><!-- c --><x><![CDATA[<b>]]> a &lt; b</x>')).toBe(false);
    expect(scan('<<<x/>')).toBe(false);
  });
});

describe('htmlToSections', () => {
  it('decodes entities and keeps unknown ones literal', () => {
    expect(decodeEntities('a &amp; b &lt;c&gt; &#233;&#xE9; &bogus; &&&;')).toBe('a & b <c> éé &bogus; &&&;');
  });

  it('is linear on entity and tag storms', () => {
    const html = '<p>' + '&'.repeat(300_000) + ';' + '<'.repeat(100_000) + '</p>';
    const started = performance.now();
    htmlToSections(html);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('CDATA flood guard', () => {
  it('counts CDATA sections without mistaking them for declarations', () => {
    const scanner = new DeclarationScanner();
    scanner.push(new TextEncoder().encode('<t><![CDATA[a]]><![CDATA[b]]><!-- note --></t>'));
    expect(scanner.found).toBe(false);
    expect(scanner.cdataSections).toBe(2);
  });

  it('refuses a workbook whose shared strings hold thousands of CDATA sections as corrupt', async () => {
    const { MAX_CDATA_SECTIONS } = await import('./xml-guard.js');
    const { parserRegistry } = await import('./index.js');
    const { makeXlsx } = await import('../../test/fixtures/documents.js');
    const { unzipSync, zipSync, strToU8 } = await import('fflate');
    const files = unzipSync(new Uint8Array(makeXlsx({ S: [['a', 'b']] })));
    const cdata = Array.from({ length: MAX_CDATA_SECTIONS + 1 }, (_, i) => `<![CDATA[${i}]]>`).join('');
    files['xl/sharedStrings.xml'] = strToU8(`<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>${cdata}</t></si></sst>`);
    expect(await reasonCodeOf(parserRegistry.xlsx(zipSync(files), DEFAULT_PARSE_LIMITS))).toBe('corrupt');
  });
});
