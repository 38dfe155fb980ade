/**
 * The new formats end to end: one upload carrying a PPTX, an HTML page, an ODT, an ODS, an EPUB,
 * an EML and an RTF, all generated in code, through the real HTTP API, real workers and parse
 * pool, the real embedding model and LanceDB under a real Temporal server. Every document is
 * indexed; a sentence from each finds that document first, with its provenance (slide page,
 * heading, sheet and rows); nothing from the HTML page's scripts, styles or hidden elements is
 * in the index.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchView } from '../core/contracts.js';
import { makeEml, makeEpub, makeHtml, makeOds, makeOdt, makePptx, makeRtf } from './fixtures/format-documents.js';
import { uploadBatch, waitForBatch } from './http.js';
import { startStack, type Stack } from './stack.js';

const TENANT = 'demo';

const SENTENCES = {
  pptx: 'Liquid oxygen is loaded into the rocket booster three hours before ignition.',
  html: 'In winter the honey bees cluster tightly around their queen to stay warm.',
  odt: 'The glassblower heats the sand until it melts into a glowing orange liquid.',
  ods: 'Great Refractor telescope, Potsdam observatory, 80 cm aperture',
  epub: 'The old captain taught his granddaughter to read the stars before every voyage.',
  eml: 'Please deliver forty loaves of rye bread to the village bakery on Friday morning.',
  rtf: 'The volcano erupted at midnight and lava flowed slowly toward the abandoned village.',
};
const HIDDEN_MARKERS = ['SCRIPTMARKER', 'STYLEMARKER', 'HIDDENMARKER', 'NAVMARKER'];

const files = [
  {
    name: 'launch-plan.pptx',
    bytes: makePptx([
      { title: 'Launch plan', body: ['The launch window opens at dawn when the coastal winds are calm.'] },
      { title: 'Fuelling', body: [SENTENCES.pptx, 'Kerosene tanks are topped up the evening before.'], notes: ['Remind the crew to check the pressure valves twice.'] },
    ]),
  },
  {
    name: 'beekeeping.html',
    bytes: makeHtml(
      '<nav><a href="/">NAVMARKER home</a></nav><main><h1>Beekeeping</h1><p>Hives need a sunny, sheltered spot.</p>' +
        `<h2>Winter care</h2><p>${SENTENCES.html}</p><script>var SCRIPTMARKER = "the wolves sing to the moon in the mountains";</script>` +
        '<style>.x::after { content: "STYLEMARKER"; }</style><div hidden>HIDDENMARKER a secret about wolves</div></main>',
      'Beekeeping basics',
    ),
  },
  {
    name: 'glassblowing.odt',
    bytes: makeOdt([{ text: 'Glassblowing', heading: 1 }, { text: SENTENCES.odt }, { text: 'The pipe is turned constantly so the glass stays round.' }]),
  },
  {
    name: 'observatory.ods',
    bytes: makeOds({
      Telescopes: [
        ['telescope', 'observatory', 'aperture'],
        ['Great Refractor', 'Potsdam', '80 cm'],
        ['Yerkes Refractor', 'Williams Bay', '102 cm'],
      ],
    }),
  },
  {
    name: 'sailing-tales.epub',
    bytes: makeEpub('Sailing tales', [
      { file: 'c1.xhtml', body: `<h1>The navigator</h1><p>${SENTENCES.epub}</p>` },
      { file: 'c2.xhtml', body: '<h1>The storm</h1><p>Waves broke over the bow for three days.</p>' },
    ]),
  },
  {
    name: 'bakery-order.eml',
    bytes: makeEml({
      from: 'Mill Office <mill@example.com>',
      to: 'bakery@example.com',
      subject: 'Bread order for Friday',
      text: SENTENCES.eml,
      attachments: [{ filename: 'recipe.txt', contentType: 'text/plain', content: 'Knead the rye dough for ten minutes and let it rest overnight.' }],
    }),
  },
  { name: 'volcano.rtf', bytes: makeRtf([{ text: 'Eruption report', heading: 1 }, { text: SENTENCES.rtf }]) },
];

interface SearchResult {
  documentId: string;
  filename: string;
  text: string;
  page: number | null;
  heading: string | null;
  sheet: string | null;
  rowStart: number | null;
  rowEnd: number | null;
}

describe('PPTX, HTML, ODT, ODS, EPUB, EML and RTF in one upload', () => {
  let stack: Stack;
  let view: BatchView;

  beforeAll(async () => {
    stack = await startStack();
    const upload = await uploadBatch(stack.baseUrl, stack.apiKey, files);
    expect(upload.status, JSON.stringify(upload.body)).toBe(202);
    expect(upload.body.rejected).toEqual([]);
    view = await waitForBatch(stack.baseUrl, stack.apiKey, upload.body.batchId);
  });

  afterAll(async () => {
    await stack?.close();
  });

  async function search(query: string): Promise<SearchResult[]> {
    const res = await fetch(`${stack.baseUrl}/api/search`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query, limit: 3 }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { results: SearchResult[] }).results;
  }

  it('indexes every document', async () => {
    expect(view.status).toBe('completed');
    expect(view.documents.map((d) => d.filename).sort()).toEqual(files.map((f) => f.name).sort());
    for (const doc of view.documents) {
      expect(doc.status, `${doc.filename}: ${JSON.stringify(doc.error)}`).toBe('indexed');
      expect(doc.chunks, doc.filename).toBeGreaterThan(0);
      expect(await stack.vectors.countDocument(TENANT, doc.documentId), doc.filename).toBe(doc.chunks);
    }
  });

  it('finds each document first by a sentence from it, with its provenance', async () => {
    const expected: Record<keyof typeof SENTENCES, string> = {
      pptx: 'launch-plan.pptx',
      html: 'beekeeping.html',
      odt: 'glassblowing.odt',
      ods: 'observatory.ods',
      epub: 'sailing-tales.epub',
      eml: 'bakery-order.eml',
      rtf: 'volcano.rtf',
    };
    const top: Partial<Record<keyof typeof SENTENCES, SearchResult>> = {};
    for (const [format, sentence] of Object.entries(SENTENCES) as [keyof typeof SENTENCES, string][]) {
      const results = await search(sentence);
      console.log(`[formats] ${format}: ${results.map((r) => `${r.filename} ${r.page ?? ''}${r.heading ?? ''}`).join(' | ')}`);
      expect(results[0]?.filename, `${format} -> ${JSON.stringify(results.map((r) => r.filename))}`).toBe(expected[format]);
      top[format] = results[0];
    }
    expect(top.pptx).toMatchObject({ page: 2, heading: 'Fuelling' });
    expect(top.html?.heading).toBe('Winter care');
    expect(top.odt?.heading).toBe('Glassblowing');
    expect(top.ods).toMatchObject({ sheet: 'Telescopes' });
    expect(top.ods!.rowStart! <= 2 && 2 <= top.ods!.rowEnd!).toBe(true);
    expect(top.epub?.heading).toBe('The navigator');
    expect(top.eml?.heading).toBe('Bread order for Friday');
    expect(top.rtf?.heading).toBe('Eruption report');
    for (const format of Object.keys(SENTENCES) as (keyof typeof SENTENCES)[]) {
      if (format !== 'ods') expect(top[format]?.text, format).toContain(SENTENCES[format]);
    }
  });

  it('indexes no script, style, navigation or hidden text from the HTML page', async () => {
    const html = view.documents.find((d) => d.filename === 'beekeeping.html')!;
    const [vector] = await stack.embedder.embed(['wolves sing to the moon in the mountains'], 'query');
    const chunks = await stack.vectors.search(TENANT, vector, html.chunks, { documentIds: [html.documentId] });
    expect(chunks).toHaveLength(html.chunks);
    const text = chunks.map((c) => c.payload.text).join('\n');
    expect(text).toContain(SENTENCES.html);
    for (const marker of HIDDEN_MARKERS) expect(text, marker).not.toContain(marker);
    expect(text).not.toContain('wolves');
  });
});
