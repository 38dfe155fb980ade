/**
 * Fidelity of the DOCX parser on a generated manual: the words a reader sees come out in
 * reading order (>= 99 %), with list numbers and bullets, merged table cells repeated in every
 * row they span, the text box once, notes, headers and footers once per section, and every
 * sentence under its whole heading path.
 */
import { describe, expect, it } from 'vitest';
import { chunkDocument } from '../../../core/chunking.js';
import type { ParsedDocument } from '../../../core/parsed.js';
import { recallReport } from '../../../test/fixtures/text-recall.js';
import { makeWordManual } from '../../../test/fixtures/word.js';
import { parseDocx } from '../docx.js';
import { DEFAULT_PARSE_LIMITS } from '../index.js';

const TARGET = 0.99;
const manual = makeWordManual();

const allText = (doc: ParsedDocument) => doc.sections.map((s) => s.text).join('\n');
const count = (text: string, part: string) => text.split(part).length - 1;

describe('DOCX fidelity: two-section manual', () => {
  it(`recovers >= ${TARGET * 100} % of the reference words in reading order`, async () => {
    const doc = await parseDocx(manual.bytes, DEFAULT_PARSE_LIMITS);
    const report = recallReport(manual.reference, allText(doc));
    console.log(`[fidelity] docx manual: in-order ${report.inOrder.toFixed(4)}, any-order ${report.anyOrder.toFixed(4)}, pairs ${report.pairs.toFixed(4)}`);
    expect(report.inOrder).toBeGreaterThanOrEqual(TARGET);
  });

  it('keeps list numbers and bullets as Word shows them', async () => {
    const lines = allText(await parseDocx(manual.bytes, DEFAULT_PARSE_LIMITS)).split('\n');
    for (const line of [
      '1. Inspect the bollards before arrival',
      'a) Check them for rust',
      'b) Check the painted load marks',
      '2. Assign two line handlers',
      '• Fenders are kept in the blue store',
      '◦ Longer lines are coiled on the upper rack',
      '1. Weigh the containers',
      '2. Seal the doors',
    ]) {
      expect(lines).toContain(line);
    }
  });

  it('repeats a vertically merged cell in every row it spans', async () => {
    const lines = allText(await parseDocx(manual.bytes, DEFAULT_PARSE_LIMITS)).split('\n');
    for (const row of manual.tableLines) expect(lines).toContain(row);
  });

  it('reads the text box once, and headers and footers once per section', async () => {
    const text = allText(await parseDocx(manual.bytes, DEFAULT_PARSE_LIMITS));
    expect(count(text, manual.textBox)).toBe(1);
    expect(count(text, manual.headers.first)).toBe(1);
    expect(count(text, manual.headers.second)).toBe(1);
    expect(count(text, manual.headers.footer)).toBe(2);
    expect(text.indexOf(manual.headers.first)).toBeLessThan(text.indexOf('Harbour Operations Manual'));
    expect(text.indexOf(manual.headers.second)).toBeLessThan(text.indexOf('Cargo is weighed'));
  });

  it('puts note markers in the text and the notes after it', async () => {
    const doc = await parseDocx(manual.bytes, DEFAULT_PARSE_LIMITS);
    const text = allText(doc);
    expect(text).toContain('Mooring starts when the pilot confirms the berth [1]');
    expect(text).toContain('Cargo is weighed before it leaves the quay [i]');
    expect(doc.sections[doc.sections.length - 1].text).toBe('[1] Bollards on the outer berths are rated for forty tonnes.\n[i] Weights follow the port regulation of March.');
  });

  it('gives every sentence its whole heading path, on sections and chunks', async () => {
    const doc = await parseDocx(manual.bytes, DEFAULT_PARSE_LIMITS);
    const chunks = chunkDocument(doc, { maxTokens: 60, overlapTokens: 0 });
    for (const { sentence, path } of manual.placed) {
      const section = doc.sections.find((s) => s.text.includes(sentence));
      expect(section?.headingPath).toEqual(path);
      expect(section?.heading).toBe(path[path.length - 1]);
      expect(chunks.find((c) => c.text.includes(sentence))?.heading).toBe(path[path.length - 1]);
    }
  });
});
