import { describe, expect, it } from 'vitest';
import { reasonCodeOf } from '../../test/fixtures/errors.js';
import { makeEml } from '../../test/fixtures/format-documents.js';
import { makePdf } from '../../test/fixtures/documents.js';
import { DEFAULT_PARSE_LIMITS, parserRegistry } from './index.js';
import { MAX_MIME_DEPTH } from './eml.js';

const parseEml = parserRegistry.eml;

/** A message whose body is `depth` nested multipart/mixed parts around one text part. */
function nestedMultipart(depth: number): Buffer {
  let body = 'Content-Type: text/plain\r\n\r\nThe innermost words.\r\n';
  for (let level = depth; level > 0; level--) body = `Content-Type: multipart/mixed; boundary="b${level}"\r\n\r\n--b${level}\r\n${body}\r\n--b${level}--\r\n`;
  return Buffer.from(`From: a@example.com\r\nTo: b@example.com\r\nSubject: Nested\r\nMIME-Version: 1.0\r\n${body}`, 'latin1');
}

describe('parseEml', () => {
  it('writes a header section, prefers the plain body, and parses text attachments as their format', async () => {
    const doc = await parseEml(
      makeEml({
        from: 'Ada Byron <ada@example.com>',
        to: 'harbour@example.com',
        subject: 'Ferry timetable',
        text: 'The winter ferry leaves at nine.',
        html: '<p>The winter ferry leaves at <b>nine</b>.</p><script>STEAL()</script>',
        attachments: [
          { filename: 'notes.md', contentType: 'text/markdown', content: '# Crew\nFour sailors.' },
          { filename: 'times.csv', contentType: 'text/csv', content: 'boat,time\nFerry,09:00\n' },
          { filename: 'scan.pdf', contentType: 'application/pdf', content: makePdf(['PDFTEXT']) },
          { filename: 'broken.txt', contentType: 'text/plain', content: new Uint8Array([0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x0e, 0x0f, 0x10]) },
        ],
      }),
      DEFAULT_PARSE_LIMITS,
    );
    expect(doc.format).toBe('eml');
    expect(doc.sections[0]).toEqual({
      text: 'From: Ada Byron <ada@example.com>\nTo: harbour@example.com\nDate: 2026-12-01T09:30:00.000Z\nSubject: Ferry timetable\nAttachments: notes.md, times.csv, scan.pdf, broken.txt',
      heading: 'Ferry timetable',
      headingPath: ['Ferry timetable'],
    });
    expect(doc.sections[1]).toEqual({ text: 'The winter ferry leaves at nine.', heading: 'Ferry timetable', headingPath: ['Ferry timetable'] });
    expect(doc.sections[2]).toEqual({ text: '# Crew\nFour sailors.', heading: 'Crew', headingPath: ['Ferry timetable', 'notes.md', 'Crew'] });
    expect(doc.sections[3]).toMatchObject({
      text: 'boat\ttime\nboat: Ferry; time: 09:00',
      rowStart: 1,
      rowEnd: 2,
      heading: 'times.csv',
      headingPath: ['Ferry timetable', 'times.csv'],
    });
    const all = doc.sections.map((s) => s.text).join('\n');
    expect(all).not.toContain('PDFTEXT');
    expect(all).not.toContain('STEAL');
    expect(doc.sections).toHaveLength(4);
  });

  it('reads an HTML-only body as visible text with its headings', async () => {
    const doc = await parseEml(
      makeEml({
        from: 'a@example.com',
        to: 'b@example.com',
        subject: 'Newsletter',
        html: '<style>p{}</style><h1>Harbour news</h1><p>Boats are back.</p><div style="display:none">TRACKING</div>',
      }),
      DEFAULT_PARSE_LIMITS,
    );
    expect(doc.sections.slice(1)).toEqual([{ text: 'Harbour news\nBoats are back.', heading: 'Harbour news', headingPath: ['Newsletter', 'Harbour news'] }]);
  });

  it('decodes encoded headers and legacy body charsets', async () => {
    const raw =
      'From: =?UTF-8?B?SsO8cmdlbg==?= <j@example.com>\r\nTo: x@example.com\r\nSubject: =?ISO-8859-1?Q?Caf=E9?=\r\nContent-Type: text/plain; charset=ISO-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nCr=E8me br=FBl=E9e\r\n';
    const doc = await parseEml(Buffer.from(raw, 'latin1'), DEFAULT_PARSE_LIMITS);
    expect(doc.sections[0].text).toContain('From: Jürgen <j@example.com>');
    expect(doc.sections[0].heading).toBe('Café');
    expect(doc.sections[1].text).toBe('Crème brûlée');
  });

  it('refuses MIME nesting beyond the limit, and reads nesting within it', async () => {
    expect(await reasonCodeOf(parseEml(nestedMultipart(MAX_MIME_DEPTH + 5), DEFAULT_PARSE_LIMITS))).toBe('limit_exceeded');
    const doc = await parseEml(nestedMultipart(10), DEFAULT_PARSE_LIMITS);
    expect(doc.sections.map((s) => s.text).join('\n')).toContain('The innermost words.');
  });

  it('holds the character budget over body and attachments together', async () => {
    const message = makeEml({
      from: 'a@example.com',
      to: 'b@example.com',
      subject: 'Big',
      text: 'word '.repeat(50),
      attachments: [{ filename: 'a.txt', contentType: 'text/plain', content: 'word '.repeat(50) }],
    });
    expect(await reasonCodeOf(parseEml(message, { ...DEFAULT_PARSE_LIMITS, maxChars: 400 }))).toBe('limit_exceeded');
  });
});
