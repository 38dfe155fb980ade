import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { reasonCodeOf } from '../../test/fixtures/errors.js';
import { docxDocument, docxParts, makeDocx } from '../../test/fixtures/documents.js';
import { makeBillionLaughsDocx, makeXxeDocx } from '../../test/fixtures/hostile.js';
import { DEFAULT_PARSE_LIMITS } from './index.js';
import { parseDocx } from './docx.js';
import { MAX_DOCX_DEPTH } from './docx-package.js';
import { bulletText, formatCounter } from './docx-numbering.js';
import { paragraph, wordPackage } from '../../test/fixtures/word.js';
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
      { heading: 'Coastal operations', headingPath: ['Coastal operations'], text: 'Coastal operations\nStorm season begins in October & ends in <March>.' },
      { heading: 'Harbour', headingPath: ['Coastal operations', 'Harbour'], text: 'Harbour\nLine one\nline two' },
      { heading: 'Appendix', headingPath: ['Coastal operations', 'Harbour', 'Appendix'], text: 'Appendix' },
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

describe('parseDocx on Word markup', () => {
  const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
  const text = async (body: string, extra?: Parameters<typeof wordPackage>[1]) =>
    (await parseDocx(wordPackage(body, extra), DEFAULT_PARSE_LIMITS)).sections.map((s) => s.text).join('\n');

  it('leaves out deleted text, moved-away text and field instructions, keeps inserted text and field results', async () => {
    const body =
      '<w:p><w:r><w:t xml:space="preserve">Kept </w:t></w:r><w:del><w:r><w:delText>deleted </w:delText></w:r></w:del><w:ins><w:r><w:t>inserted</w:t></w:r></w:ins></w:p>' +
      '<w:p><w:moveFrom><w:r><w:t>moved away</w:t></w:r></w:moveFrom><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>7</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>';
    expect(await text(body)).toBe('Kept inserted\n7');
  });

  it('reads outline levels and unnamed heading style ids as headings, and numId 0 as no list', async () => {
    const body =
      '<w:p><w:pPr><w:outlineLvl w:val="0"/></w:pPr><w:r><w:t>Outline chapter</w:t></w:r></w:p>' +
      paragraph('Undeclared style heading', { style: 'Heading3' }) +
      '<w:p><w:pPr><w:pStyle w:val="ListBullet"/><w:numPr><w:numId w:val="0"/></w:numPr></w:pPr><w:r><w:t>no bullet here</w:t></w:r></w:p>';
    const doc = await parseDocx(wordPackage(body), DEFAULT_PARSE_LIMITS);
    expect(doc.sections.map((s) => s.headingPath)).toEqual([['Outline chapter'], ['Outline chapter', 'Undeclared style heading']]);
    expect(doc.sections[1].text).toBe('Undeclared style heading\nno bullet here');
  });

  it('folds nested tables into their cell and honours cells skipped with gridBefore', async () => {
    const cell = (inner: string) => `<w:tc>${inner}</w:tc>`;
    const nested = `<w:tbl><w:tr>${cell(paragraph('inner a'))}${cell(paragraph('inner b'))}</w:tr></w:tbl>`;
    const body = `<w:tbl><w:tr>${cell(paragraph('outer'))}${cell(nested + paragraph('after'))}</w:tr><w:tr><w:trPr><w:gridBefore w:val="1"/></w:trPr>${cell(paragraph('second column'))}</w:tr></w:tbl>`;
    expect(await text(body)).toBe('outer\tinner a inner b after\nsecond column');
  });

  it("repeats the previous section's header in a section that names none", async () => {
    const rels = `<Relationship Id="rIdH" Type="${REL}/header" Target="header1.xml"/>`;
    const header = strToU8(`<?xml version="1.0"?><w:hdr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">${paragraph('Shared running head')}</w:hdr>`);
    const body = paragraph('first section', { sectPr: '<w:sectPr><w:headerReference w:type="default" r:id="rIdH"/></w:sectPr>' }) + paragraph('second section') + '<w:sectPr/>';
    expect(await text(body, { rels, parts: { 'word/header1.xml': header } })).toBe('Shared running head\nfirst section\nShared running head\nsecond section');
  });

  it('refuses elements nested deeper than Word ever writes as corrupt', async () => {
    const depth = MAX_DOCX_DEPTH + 10;
    expect(await reasonCodeOf(parseDocx(wordPackage(`<w:p>${'<w:r>'.repeat(depth)}${'</w:r>'.repeat(depth)}</w:p>`), DEFAULT_PARSE_LIMITS))).toBe('corrupt');
  });
});

describe('list labels', () => {
  it('formats counters as Word does', () => {
    expect([1, 4, 9, 14, 1999].map((n) => formatCounter(n, 'upperRoman'))).toEqual(['I', 'IV', 'IX', 'XIV', 'MCMXCIX']);
    expect([1, 26, 27, 53].map((n) => formatCounter(n, 'lowerLetter'))).toEqual(['a', 'z', 'aa', 'aaa']);
    expect([1, 2, 3, 11, 22].map((n) => formatCounter(n, 'ordinal'))).toEqual(['1st', '2nd', '3rd', '11th', '22nd']);
    expect(formatCounter(7, 'decimalZero')).toBe('07');
    expect(formatCounter(5, 'someFutureFormat')).toBe('5');
    expect([bulletText('\uF0A7'), bulletText('o'), bulletText('–')]).toEqual(['•', '◦', '–']);
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
