import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { reasonCodeOf } from '../../test/fixtures/errors.js';
import { makePptx, pptxParts } from '../../test/fixtures/format-documents.js';
import { DEFAULT_PARSE_LIMITS } from './index.js';
import { parsePptx, readSlideXml } from './pptx.js';

describe('parsePptx', () => {
  it('reads slides in presentation order with their number as page, title as heading, then their notes', async () => {
    const doc = await parsePptx(
      makePptx([
        { title: 'Opening', body: ['Welcome to the harbour tour', 'Boats leave at nine'], notes: ['Smile and greet the guests'] },
        { title: 'Secret plans', body: ['never shown'], hidden: true },
        {
          title: 'Timetable',
          table: [
            ['Boat', 'Time'],
            ['Ferry', '09:00'],
          ],
        },
        { body: ['A slide without a title'] },
      ]),
      DEFAULT_PARSE_LIMITS,
    );
    expect(doc.format).toBe('pptx');
    expect(doc.pageCount).toBe(4);
    expect(doc.sections).toEqual([
      { text: 'Opening\nWelcome to the harbour tour\nBoats leave at nine', page: 1, heading: 'Opening', headingPath: ['Opening'] },
      { text: 'Notes:\nSmile and greet the guests', page: 1, heading: 'Opening', headingPath: ['Opening'] },
      { text: 'Timetable\nBoat\tTime\nFerry\t09:00', page: 3, heading: 'Timetable', headingPath: ['Timetable'] },
      { text: 'A slide without a title', page: 4 },
    ]);
  });

  it('follows the slide list, not the part names', async () => {
    const parts = pptxParts([{ body: ['first by name'] }, { body: ['second by name'] }]);
    parts['ppt/presentation.xml'] = strToU8(
      new TextDecoder()
        .decode(parts['ppt/presentation.xml'] as Uint8Array)
        .replace('<p:sldId id="256" r:id="rId1"/><p:sldId id="257" r:id="rId2"/>', '<p:sldId id="257" r:id="rId2"/><p:sldId id="256" r:id="rId1"/>'),
    );
    const doc = await parsePptx(Buffer.from(zipSync(parts)), DEFAULT_PARSE_LIMITS);
    expect(doc.sections.map((s) => [s.page, s.text])).toEqual([
      [1, 'second by name'],
      [2, 'first by name'],
    ]);
  });

  it('leaves out slide numbers, dates, footers and fallback copies', () => {
    const xml =
      '<p:sld xmlns:a="a" xmlns:p="p" xmlns:mc="mc"><p:cSld><p:spTree>' +
      '<p:sp><p:nvSpPr><p:nvPr><p:ph type="dt"/></p:nvPr></p:nvSpPr><p:txBody><a:p><a:r><a:t>01/12/2026</a:t></a:r></a:p></p:txBody></p:sp>' +
      '<p:sp><p:nvSpPr><p:nvPr><p:ph type="ftr"/></p:nvPr></p:nvSpPr><p:txBody><a:p><a:r><a:t>Company footer</a:t></a:r></a:p></p:txBody></p:sp>' +
      '<mc:AlternateContent><mc:Choice><p:sp><p:txBody><a:p><a:r><a:t>Chosen</a:t></a:r><a:br/><a:r><a:t>second line</a:t></a:r></a:p></p:txBody></p:sp></mc:Choice>' +
      '<mc:Fallback><p:sp><p:txBody><a:p><a:r><a:t>Chosen</a:t></a:r></a:p></p:txBody></p:sp></mc:Fallback></mc:AlternateContent>' +
      '</p:spTree></p:cSld></p:sld>';
    expect(readSlideXml(xml, 'slide1.xml').lines).toEqual(['Chosen\nsecond line']);
  });

  it('refuses DTDs in any part and a presentation without its main part', async () => {
    const parts = pptxParts([{ body: ['x'] }]);
    parts['ppt/slides/slide1.xml'] = strToU8('<?xml version="1.0"?><!DOCTYPE p:sld [<!ENTITY lol "lol">]><p:sld xmlns:p="p"/>');
    expect(await reasonCodeOf(parsePptx(Buffer.from(zipSync(parts)), DEFAULT_PARSE_LIMITS))).toBe('corrupt');
    const noMain = pptxParts([{ body: ['x'] }]);
    delete noMain['ppt/presentation.xml'];
    expect(await reasonCodeOf(parsePptx(Buffer.from(zipSync(noMain)), DEFAULT_PARSE_LIMITS))).toBe('corrupt');
  });

  it('fails a presentation without text as no_extractable_text', async () => {
    expect(await reasonCodeOf(parsePptx(makePptx([{}, {}]), DEFAULT_PARSE_LIMITS))).toBe('no_extractable_text');
  });
});
