import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { reasonCodeOf } from '../../test/fixtures/errors.js';
import { makeOds } from '../../test/fixtures/format-documents.js';
import { DEFAULT_PARSE_LIMITS } from './index.js';
import { measureOdsContent } from './ods.js';
import { parseOds } from './spreadsheet.js';

const NS =
  'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"';

/** An ODS whose one sheet has the given rows XML. */
function odsWithRows(rowsXml: string): Buffer {
  return Buffer.from(
    zipSync({
      mimetype: [strToU8('application/vnd.oasis.opendocument.spreadsheet'), { level: 0 }],
      'META-INF/manifest.xml': strToU8(
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>',
      ),
      'styles.xml': strToU8(`<office:document-styles ${NS}/>`),
      'content.xml': strToU8(
        `<office:document-content ${NS}><office:body><office:spreadsheet><table:table table:name="Data">${rowsXml}</table:table></office:spreadsheet></office:body></office:document-content>`,
      ),
    }),
  );
}
const cell = (text: string, repeat = 1) => `<table:table-cell table:number-columns-repeated="${repeat}" office:value-type="string"><text:p>${text}</text:p></table:table-cell>`;

describe('parseOds', () => {
  it('reads every sheet through the shared sheet pipeline, with sheet names and row ranges', async () => {
    const doc = await parseOds(
      makeOds({
        Fleet: [
          ['vessel', 'home port'],
          ['Northern Star', 'Bergen'],
          ['Sea Lark', 'Tromsø'],
        ],
        Crew: [
          ['name', 'role'],
          ['Ada', 'captain'],
        ],
      }),
      DEFAULT_PARSE_LIMITS,
    );
    expect(doc.format).toBe('ods');
    expect(doc.sections).toEqual([
      { text: 'vessel\thome port\nvessel: Northern Star; home port: Bergen\nvessel: Sea Lark; home port: Tromsø', sheet: 'Fleet', rowStart: 1, rowEnd: 3 },
      { text: 'name\trole\nname: Ada; role: captain', sheet: 'Crew', rowStart: 1, rowEnd: 2 },
    ]);
  });

  it('ignores the trailing empty repeated rows and columns office suites write', async () => {
    const doc = await parseOds(
      odsWithRows(
        `<table:table-row>${cell('only')}${cell('row')}<table:table-cell table:number-columns-repeated="16382"/></table:table-row><table:table-row table:number-rows-repeated="1048575"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>`,
      ),
      DEFAULT_PARSE_LIMITS,
    );
    expect(doc.sections).toEqual([{ text: 'only\trow', sheet: 'Data', rowStart: 1, rowEnd: 1 }]);
  });

  it('refuses repeated non-empty rows or cells beyond the limits before SheetJS expands them', async () => {
    expect(await reasonCodeOf(parseOds(odsWithRows(`<table:table-row table:number-rows-repeated="1048576">${cell('z', 16384)}</table:table-row>`), DEFAULT_PARSE_LIMITS))).toBe(
      'limit_exceeded',
    );
    expect(await reasonCodeOf(parseOds(odsWithRows(`<table:table-row table:number-rows-repeated="300000">${cell('r')}</table:table-row>`), DEFAULT_PARSE_LIMITS))).toBe(
      'limit_exceeded',
    );
    expect(await reasonCodeOf(parseOds(odsWithRows(`<table:table-row>${cell('c', 3_000_000)}</table:table-row>`), DEFAULT_PARSE_LIMITS))).toBe('limit_exceeded');
    expect(
      await reasonCodeOf(
        parseOds(
          odsWithRows(
            `<table:table-row>${cell('a')}</table:table-row><table:table-row table:number-rows-repeated="5000000"><table:table-cell/></table:table-row><table:table-row>${cell('b')}</table:table-row>`,
          ),
          DEFAULT_PARSE_LIMITS,
        ),
      ),
    ).toBe('limit_exceeded');
  });

  it('measures tables up to their last value, repeats multiplied out', () => {
    const xml = `<office:document-content ${NS}><office:body><office:spreadsheet><table:table table:name="T"><table:table-row table:number-rows-repeated="3">${cell('v', 2)}<table:table-cell table:number-columns-repeated="99"/></table:table-row><table:table-row table:number-rows-repeated="10"><table:table-cell/></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>`;
    expect(measureOdsContent(xml)).toEqual([{ name: 'T', rows: 3, cells: 6 }]);
  });
});
