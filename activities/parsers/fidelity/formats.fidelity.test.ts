/**
 * Fidelity of the PPTX, HTML, ODT, ODS, EPUB, EML and RTF parsers against the text their
 * generators put in: every fixture is built in code from seeded words (Latin with accents,
 * Cyrillic, Greek, Arabic, CJK), parsed by the real parser, and measured with the shared
 * recall measures (test/fixtures/text-recall.ts). Each fixture's recall is printed; the targets
 * are the issue's: at least 99 % of the reference words in reading order, right-to-left words
 * whole (adjacent pairs kept), and provenance (slide page, heading path, sheet and exact rows)
 * on the sections that hold the text.
 */
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import type { ParsedDocument, ParsedSection } from '../../../core/parsed.js';
import { adjacentPairRecall, recallReport, recallWords } from '../../../test/fixtures/text-recall.js';
import { escapeXml, makeEml, makeEpub, makeHtml, makeOds, makeOdt, makePptx, makeRtf, type SlideSpec } from '../../../test/fixtures/format-documents.js';
import { DEFAULT_PARSE_LIMITS, parserRegistry } from '../index.js';

const TARGET = 0.99;

const VOCABULARY = {
  latin: 'harbour ferry lantern café crème naïve façade über straße señor niño øre ångström tide keeper ledger granite orchard meadow river'.split(' '),
  cyrillic: 'гавань паром маяк рыбак ветер море корабль берег остров причал'.split(' '),
  greek: 'λιμάνι πλοίο φάρος θάλασσα άνεμος νησί ψαράς ακτή'.split(' '),
  arabic: 'الميناء العبارة المنارة البحر الرياح الجزيرة الصياد الشاطئ'.split(' '),
  cjk: '港口 渡轮 灯塔 大海 风 岛屿 渔夫 海岸'.split(' '),
};

/** Seeded sentence generator (mulberry32), so every run builds the same fixtures. */
function sentences(seed: number) {
  let s = seed >>> 0;
  const random = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let counter = 0;
  return (script: keyof typeof VOCABULARY = 'latin', words = 10): string => {
    const list = VOCABULARY[script];
    const out: string[] = [];
    for (let i = 0; i < words; i++) out.push(list[Math.floor(random() * list.length)]);
    // A running number makes every sentence unique, so provenance checks can find it.
    return `${out.join(' ')} ${++counter}.`;
  };
}

const SCRIPTS = Object.keys(VOCABULARY) as (keyof typeof VOCABULARY)[];
const allText = (doc: ParsedDocument) => doc.sections.map((s) => s.text).join('\n');
const sectionWith = (doc: ParsedDocument, needle: string): ParsedSection | undefined => doc.sections.find((s) => s.text.includes(needle));

const ARABIC = /\p{Script=Arabic}/u;

/**
 * Parses, prints and checks one fixture: in-order recall over everything, and adjacent-pair
 * recall over the reference lines written in Arabic (right-to-left words stay whole and in
 * order). Pairs over the whole text are printed only: layouts legitimately insert words
 * between a reference's neighbours (a sheet's column names, a slide's "Notes:" label).
 */
async function measure(name: string, format: keyof typeof parserRegistry, bytes: Uint8Array, reference: string[]): Promise<ParsedDocument> {
  const doc = await parserRegistry[format](bytes, DEFAULT_PARSE_LIMITS);
  const extracted = allText(doc);
  const report = recallReport(reference.join('\n'), extracted);
  // Each reference line on its own: its neighbours may legitimately be apart in the output.
  const rtl = reference.filter((line) => ARABIC.test(line)).map((line) => ({ line, pairs: recallWords(line).length - 1 }));
  const rtlTotal = rtl.reduce((n, r) => n + r.pairs, 0);
  const rtlPairs = rtlTotal === 0 ? 1 : rtl.reduce((n, r) => n + adjacentPairRecall(r.line, extracted) * r.pairs, 0) / rtlTotal;
  console.log(
    `[fidelity] ${name.padEnd(28)} in order ${report.inOrder.toFixed(4)}  any order ${report.anyOrder.toFixed(4)}  adjacent pairs ${report.pairs.toFixed(4)}  right-to-left pairs ${rtl.length === 0 ? '   -  ' : rtlPairs.toFixed(4)}`,
  );
  expect(report.inOrder, name).toBeGreaterThanOrEqual(TARGET);
  expect(rtlPairs, `${name}: right-to-left words split or reordered`).toBeGreaterThanOrEqual(TARGET);
  return doc;
}

describe('fidelity of the new formats against their generated text', () => {
  it('PPTX: slide text, tables and notes in order, slide number as page, title as heading', async () => {
    const say = sentences(1);
    const slides: SlideSpec[] = [];
    const reference: string[] = [];
    for (let i = 0; i < 15; i++) {
      const slide: SlideSpec = { title: `Slide topic ${i + 1} ${say('latin', 3)}`, body: [say(), say(SCRIPTS[i % SCRIPTS.length]), say()], notes: [say(), say()] };
      if (i % 5 === 2)
        slide.table = [
          ['Vessel', 'Port'],
          [say('latin', 2), say('cyrillic', 2)],
        ];
      slides.push(slide);
      reference.push(slide.title!, ...slide.body!, ...(slide.table?.flat() ?? []), ...slide.notes!);
    }
    const doc = await measure('pptx 15 slides', 'pptx', makePptx(slides), reference);
    slides.forEach((slide, i) => {
      for (const line of [...slide.body!, ...slide.notes!]) expect(sectionWith(doc, line), line).toMatchObject({ page: i + 1, heading: slide.title, headingPath: [slide.title] });
    });
  });

  it('HTML: main content in order with heading paths, nothing from scripts, styles, navigation or hidden elements', async () => {
    const say = sentences(2);
    const reference: string[] = ['Harbour handbook'];
    const paths = new Map<string, string[]>();
    let body = '<nav><a href="/">NAVHOME</a><a>NAVABOUT</a></nav><header><p>SITEBANNER</p></header><main><h1>Harbour handbook</h1>';
    for (let chapter = 1; chapter <= 4; chapter++) {
      const h2 = `Part ${chapter} ${say('latin', 2)}`;
      body += `<h2>${escapeXml(h2)}</h2>`;
      reference.push(h2);
      for (let section = 1; section <= 3; section++) {
        const h3 = `Topic ${chapter}.${section} ${say(SCRIPTS[section % SCRIPTS.length], 2)}`;
        const paragraph = [say(), say(SCRIPTS[(chapter + section) % SCRIPTS.length]), say()].join(' ');
        const item = say('greek', 4);
        body += `<h3>${escapeXml(h3)}</h3><p>${escapeXml(paragraph)}</p><script>var SCRIPTTEXT${chapter} = 1;</script><ul><li>${escapeXml(item)}</li></ul><div hidden>HIDDENTEXT</div>`;
        reference.push(h3, paragraph, item);
        paths.set(paragraph, ['Harbour handbook', h2, h3]);
      }
      const cells = [say('latin', 2), say('arabic', 2)];
      body += `<table><tr><th>Name</th><th>Value</th></tr><tr><td>${escapeXml(cells[0])}</td><td>${escapeXml(cells[1])}</td></tr></table>`;
      reference.push('Name', 'Value', ...cells);
    }
    body += '</main><footer>SITEFOOTER</footer><style>.x{content:"STYLETEXT"}</style>';
    const doc = await measure('html page', 'html', makeHtml(body, 'Harbour handbook'), reference);
    for (const [paragraph, path] of paths) expect(sectionWith(doc, paragraph)?.headingPath, paragraph).toEqual(path);
    for (const hidden of ['NAVHOME', 'SITEBANNER', 'SCRIPTTEXT', 'HIDDENTEXT', 'SITEFOOTER', 'STYLETEXT']) expect(allText(doc)).not.toContain(hidden);
  });

  it('HTML in legacy charsets declared by the page', async () => {
    const say = sentences(3);
    for (const [charset, script] of [
      ['windows-1252', 'latin'],
      ['windows-1251', 'cyrillic'],
      ['iso-8859-7', 'greek'],
    ] as const) {
      const paragraphs = [say(script, 40), say(script, 40)];
      const page = Buffer.concat([
        Buffer.from(`<html><head><meta charset="${charset}"></head><body>`, 'latin1'),
        iconv.encode(paragraphs.map((p) => `<p>${p}</p>`).join(''), charset),
        Buffer.from('</body></html>'),
      ]);
      await measure(`html ${charset}`, 'html', page, paragraphs);
    }
  });

  it('ODT: headings with their outline levels, paragraphs and tables in order', async () => {
    const say = sentences(4);
    const blocks: Parameters<typeof makeOdt>[0] = [];
    const reference: string[] = [];
    const paths = new Map<string, string[]>();
    for (let chapter = 1; chapter <= 5; chapter++) {
      const h1 = `Chapter ${chapter} ${say('latin', 2)}`;
      blocks.push({ text: h1, heading: 1 });
      reference.push(h1);
      for (let section = 1; section <= 3; section++) {
        const h2 = `Section ${chapter}.${section}`;
        const paragraph = [say(), say(SCRIPTS[(chapter * section) % SCRIPTS.length]), say()].join(' ');
        blocks.push({ text: h2, heading: 2 }, { text: paragraph });
        reference.push(h2, paragraph);
        paths.set(paragraph, [h1, h2]);
      }
      const row = [say('latin', 3), say('cjk', 3)];
      blocks.push({ table: [['Key', 'Value'], row] });
      reference.push('Key', 'Value', ...row);
    }
    const doc = await measure('odt 5 chapters', 'odt', makeOdt(blocks), reference);
    for (const [paragraph, path] of paths) expect(sectionWith(doc, paragraph)?.headingPath, paragraph).toEqual(path);
  });

  it('ODS: every cell in row order, sheet names and exact row ranges', async () => {
    const say = sentences(5);
    const sheets: Record<string, (string | number)[][]> = {};
    const reference: string[] = [];
    for (const name of ['Vessels', 'Crews', 'Cargo']) {
      const rows: (string | number)[][] = [['name', 'note', 'count']];
      for (let r = 0; r < 120; r++) rows.push([say('latin', 2), say(SCRIPTS[r % SCRIPTS.length], 4), r * 7]);
      sheets[name] = rows;
      reference.push(...rows.flatMap((row) => row.map(String)));
    }
    const doc = await measure('ods 3 sheets x 121 rows', 'ods', makeOds(sheets), reference);
    for (const [name, rows] of Object.entries(sheets)) {
      for (const r of [1, 50, 51, 120]) {
        const section = sectionWith(doc, String(rows[r][1]));
        expect(section?.sheet).toBe(name);
        expect(section!.rowStart! <= r + 1 && r + 1 <= section!.rowEnd!, `${name} row ${r + 1} in ${section!.rowStart}-${section!.rowEnd}`).toBe(true);
      }
    }
  });

  it('EPUB: chapters in spine order, not file order, with heading paths', async () => {
    const say = sentences(6);
    const chapters = Array.from({ length: 8 }, (_, i) => {
      const heading = `Chapter ${i + 1}`;
      const paragraphs = [say(), say(SCRIPTS[i % SCRIPTS.length]), say()];
      return { file: `ch${i + 1}.xhtml`, heading, paragraphs, body: `<h1>${heading}</h1>${paragraphs.map((p) => `<p>${escapeXml(p)}</p>`).join('')}` };
    });
    const spine = [...chapters].reverse();
    const reference = ['Tales of the harbour', ...spine.flatMap((c) => [c.heading, ...c.paragraphs])];
    const doc = await measure(
      'epub 8 chapters',
      'epub',
      makeEpub(
        'Tales of the harbour',
        chapters,
        spine.map((c) => c.file),
      ),
      reference,
    );
    for (const chapter of chapters) expect(sectionWith(doc, chapter.paragraphs[1])?.headingPath).toEqual([chapter.heading]);
  });

  it('EML: headers, plain body and text attachments in order, attachments named in the heading path', async () => {
    const say = sentences(7);
    const body = Array.from({ length: 12 }, (_, i) => say(SCRIPTS[i % SCRIPTS.length])).join('\n');
    const note = Array.from({ length: 6 }, () => say()).join('\n');
    const page = [say('greek'), say('arabic')];
    const message = makeEml({
      from: 'Harbour Master <master@example.com>',
      to: 'crew@example.com',
      subject: 'Weekly harbour report',
      text: body,
      html: `<p>${escapeXml(body)}</p>`,
      attachments: [
        { filename: 'note.txt', contentType: 'text/plain', content: note },
        {
          filename: 'page.html',
          contentType: 'text/html',
          content: `<html><body><script>SCRIPTTEXT()</script>${page.map((p) => `<p>${escapeXml(p)}</p>`).join('')}</body></html>`,
        },
      ],
    });
    const reference = ['Harbour Master master@example.com', 'crew@example.com', 'Weekly harbour report', body, note, ...page];
    const doc = await measure('eml body + 2 attachments', 'eml', message, reference);
    expect(sectionWith(doc, note.split('\n')[0])?.headingPath).toEqual(['Weekly harbour report', 'note.txt']);
    expect(sectionWith(doc, page[0])?.headingPath).toEqual(['Weekly harbour report', 'page.html']);
    expect(allText(doc)).not.toContain('SCRIPTTEXT');
  });

  it('RTF: Unicode escapes in every script, headings by outline level', async () => {
    const say = sentences(8);
    const blocks: { text: string; heading?: number }[] = [];
    const reference: string[] = [];
    const paths = new Map<string, string[]>();
    for (let chapter = 1; chapter <= 4; chapter++) {
      const h1 = `Part ${chapter}`;
      blocks.push({ text: h1, heading: 1 });
      reference.push(h1);
      for (let section = 1; section <= 3; section++) {
        const h2 = `Topic ${chapter}.${section} ${say('latin', 2)}`;
        const paragraph = [say(), say(SCRIPTS[(chapter + section) % SCRIPTS.length]), say('cjk')].join(' ');
        blocks.push({ text: h2, heading: 2 }, { text: paragraph });
        reference.push(h2, paragraph);
        paths.set(paragraph, [h1, h2]);
      }
    }
    const doc = await measure('rtf 4 parts', 'rtf', makeRtf(blocks), reference);
    for (const [paragraph, path] of paths) expect(sectionWith(doc, paragraph)?.headingPath, paragraph).toEqual(path);
  });

  it('RTF: code-page bytes through \\ansicpg and font charsets', async () => {
    const say = sentences(9);
    const latin = say('latin', 60);
    const cyrillic = say('cyrillic', 60);
    const hex = (text: string, codepage: string) =>
      [...iconv.encode(text, codepage)]
        .map((b) => (b < 0x80 && b !== 0x5c && b !== 0x7b && b !== 0x7d ? String.fromCharCode(b) : `\\'${b.toString(16).padStart(2, '0')}`))
        .join('');
    const source = `{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\fswiss\\fcharset0 Arial;}{\\f1\\fswiss\\fcharset204 Arial Cyr;}}\\pard ${hex(latin, 'cp1252')}\\par \\pard\\f1 ${hex(cyrillic, 'cp1251')}\\par}`;
    await measure('rtf cp1252 + cp1251 font', 'rtf', Buffer.from(source, 'latin1'), [latin, cyrillic]);
  });
});
