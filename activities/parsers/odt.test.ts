import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { reasonCodeOf } from '../../test/fixtures/errors.js';
import { makeOdt, odtParts } from '../../test/fixtures/format-documents.js';
import { DEFAULT_PARSE_LIMITS } from './index.js';
import { parseOdt, readOdtContent } from './odt.js';

const NS = 'xmlns:office="o" xmlns:text="t" xmlns:table="tb" xmlns:draw="d" xmlns:svg="s"';
const content = (body: string) => `<office:document-content ${NS}><office:body><office:text>${body}</office:text></office:body></office:document-content>`;

describe('parseOdt', () => {
  it('cuts at headings with their outline levels as the heading path', async () => {
    const doc = await parseOdt(
      makeOdt([
        { text: 'Preface before any heading.' },
        { text: 'Operations', heading: 1 },
        { text: 'Storm season begins in October & ends in <March>.' },
        { text: 'Harbour', heading: 2 },
        { text: 'Line one\nline two' },
        {
          table: [
            ['Boat', 'Crew'],
            ['Ferry', '4'],
          ],
        },
        { text: 'Finance', heading: 1 },
        { text: 'Budget.' },
      ]),
      DEFAULT_PARSE_LIMITS,
    );
    expect(doc.sections).toEqual([
      { text: 'Preface before any heading.' },
      { text: 'Operations\nStorm season begins in October & ends in <March>.', heading: 'Operations', headingPath: ['Operations'] },
      { text: 'Harbour\nLine one\nline two\nBoat\tCrew\nFerry\t4', heading: 'Harbour', headingPath: ['Operations', 'Harbour'] },
      { text: 'Finance\nBudget.', heading: 'Finance', headingPath: ['Finance'] },
    ]);
  });

  it('keeps spans, spaces, lists, frames and footnote bodies; drops deletions, comments, hidden text and citation marks', () => {
    const blocks = readOdtContent(
      content(
        '<text:p>One<text:s text:c="3"/>two<text:tab/>three <text:span>span</text:span><text:note><text:note-citation>1</text:note-citation><text:note-body><text:p>Footnote body.</text:p></text:note-body></text:note></text:p>' +
          '<text:list><text:list-item><text:p>first item</text:p></text:list-item></text:list>' +
          '<text:tracked-changes><text:changed-region><text:deletion><text:p>DELETED</text:p></text:deletion></text:changed-region></text:tracked-changes>' +
          '<text:p>Before<office:annotation><text:p>COMMENT</text:p></office:annotation> after<text:hidden-text text:string-value="HIDDEN"/></text:p>' +
          '<text:section text:display="none"><text:p>HIDDENSECTION</text:p></text:section>' +
          '<text:p><draw:frame><svg:title>IMAGETITLE</svg:title><draw:text-box><text:p>Boxed text</text:p></draw:text-box></draw:frame></text:p>' +
          '<table:table><table:table-row><table:table-cell table:number-columns-repeated="1000000"/><table:covered-table-cell/></table:table-row></table:table>',
      ),
    );
    expect(blocks.map((b) => b.text)).toEqual(['Footnote body.', 'One two three span', 'first item', 'Before after', 'Boxed text']);
  });

  it('refuses entity declarations, encrypted packages and packages without content.xml', async () => {
    const laughs = odtParts('', `<?xml version="1.0"?><!DOCTYPE office:document-content [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>${content('<text:p>&lol2;</text:p>')}`);
    expect(await reasonCodeOf(parseOdt(Buffer.from(zipSync(laughs)), DEFAULT_PARSE_LIMITS))).toBe('corrupt');
    const encrypted = odtParts('<text:p>x</text:p>');
    encrypted['META-INF/manifest.xml'] = strToU8(
      '<manifest:manifest xmlns:manifest="m"><manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data manifest:checksum="x"/></manifest:file-entry></manifest:manifest>',
    );
    expect(await reasonCodeOf(parseOdt(Buffer.from(zipSync(encrypted)), DEFAULT_PARSE_LIMITS))).toBe('encrypted');
    const empty = odtParts('');
    delete empty['content.xml'];
    expect(await reasonCodeOf(parseOdt(Buffer.from(zipSync(empty)), DEFAULT_PARSE_LIMITS))).toBe('corrupt');
  });

  it('refuses absurd nesting and an empty body', async () => {
    const deep = odtParts('', content(`${'<text:span>'.repeat(5000)}x${'</text:span>'.repeat(5000)}`));
    expect(await reasonCodeOf(parseOdt(Buffer.from(zipSync(deep)), DEFAULT_PARSE_LIMITS))).toBe('limit_exceeded');
    expect(await reasonCodeOf(parseOdt(makeOdt([{ text: '   ' }]), DEFAULT_PARSE_LIMITS))).toBe('no_extractable_text');
  });
});
