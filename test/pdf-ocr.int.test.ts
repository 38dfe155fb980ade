/**
 * PDF and OCR end to end, through the API, real workers, the real embedding model and LanceDB:
 * - a generated 5,000-page manual indexes with page provenance, within the production parse
 *   memory cap (PARSE_MEMORY_MB 1024) and time limit (PARSE_TIMEOUT_MS 120 s);
 * - an image-only PDF (a scan: no text layer) and a PNG photo of a page are read by Tesseract and
 *   found by a sentence from them; an image of pure noise ends `no_extractable_text`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchView } from '../core/contracts.js';
import { makePdf } from './fixtures/documents.js';
import { imageOnlyPdf, missingOcrTools, noisePng, renderTextImage } from './fixtures/scans.js';
import { uploadBatch, waitForBatch } from './http.js';
import { startStack, type Stack } from './stack.js';

const PAGES = 5_000;
const NEEDLE_PAGE = 4_321;
const NEEDLE = 'The emergency shutdown of the hydraulic press requires two operators to turn their keys at the same time.';

const SCAN_LINES = ['Lighthouse keepers on the northern coast record every passing ship', 'in a leather-bound journal that is inspected each spring.'];
const PHOTO_LINES = ['Il forno a legna della panetteria viene acceso alle quattro del mattino.'];

const missing = missingOcrTools();
if (missing.length > 0 && process.env.CI) throw new Error(`OCR integration tests need: ${missing.join(', ')}`);

async function search(stack: Stack, query: string) {
  const res = await fetch(`${stack.baseUrl}/api/search`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query, limit: 3 }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { results: { filename: string; text: string; page: number | null }[] }).results;
}

describe('PDF and OCR end to end', () => {
  let stack: Stack;
  beforeAll(async () => {
    // The production defaults, so "within the parse memory cap" means the cap users get.
    stack = await startStack({ parsePool: { memoryLimitMb: 1024, timeoutMs: 120_000 } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it(`indexes a ${PAGES.toLocaleString('en-US')}-page PDF with page provenance within the parse memory cap`, async () => {
    const pages = Array.from({ length: PAGES }, (_, i) =>
      i + 1 === NEEDLE_PAGE ? NEEDLE : `Section ${i + 1}: lubricate conveyor bearing ${i + 1} every ${100 + (i % 50) * 10} operating hours.`,
    );
    const upload = await uploadBatch(stack.baseUrl, stack.apiKey, [{ name: 'manual.pdf', bytes: makePdf(pages) }]);
    expect(upload.status).toBe(202);
    const view = (await waitForBatch(stack.baseUrl, stack.apiKey, upload.body.batchId, 1_500_000)) as BatchView;
    const [doc] = view.documents;
    expect(doc.status, JSON.stringify(doc.error)).toBe('indexed');
    // Chunks never span pages, so every page gave at least one chunk.
    expect(doc.chunks).toBeGreaterThanOrEqual(PAGES);
    expect(await stack.vectors.countDocument('demo', doc.documentId)).toBe(doc.chunks);
    const stats = stack.parsePoolStats();
    console.log(`[pdf] ${PAGES} pages: ${doc.chunks} chunks, parse children peak RSS ${stats.peakRssMb} MB of 1024 MB`);
    expect(stats.killedForMemory).toBe(0);
    expect(stats.peakRssMb).toBeLessThan(1024);

    const [hit] = await search(stack, 'how many operators must turn keys to stop the hydraulic press in an emergency?');
    expect(hit).toMatchObject({ filename: 'manual.pdf', page: NEEDLE_PAGE });
    expect(hit.text).toContain('hydraulic press');
  }, 1_800_000);

  it.skipIf(missing.length > 0)(
    'finds an image-only PDF and a photographed page by a sentence; noise ends no_extractable_text',
    async () => {
      const files = [
        { name: 'scan.pdf', bytes: await imageOnlyPdf([renderTextImage(SCAN_LINES, 'png')]) },
        { name: 'photo.jpg', bytes: renderTextImage(PHOTO_LINES, 'jpeg') },
        { name: 'noise.png', bytes: noisePng() },
      ];
      const upload = await uploadBatch(stack.baseUrl, stack.apiKey, files);
      expect(upload.status).toBe(202);
      const view = (await waitForBatch(stack.baseUrl, stack.apiKey, upload.body.batchId)) as BatchView;
      const byName = Object.fromEntries(view.documents.map((d) => [d.filename, d]));
      expect(byName['scan.pdf'].status, JSON.stringify(byName['scan.pdf'].error)).toBe('indexed');
      expect(byName['photo.jpg'].status, JSON.stringify(byName['photo.jpg'].error)).toBe('indexed');
      expect(byName['noise.png']).toMatchObject({ status: 'failed', error: { code: 'no_extractable_text' } });

      const [scanHit] = await search(stack, 'Who records the ships that pass along the northern coast?');
      expect(scanHit).toMatchObject({ filename: 'scan.pdf', page: 1 });
      expect(scanHit.text).toContain('leather-bound journal');
      const [photoHit] = await search(stack, 'A che ora viene acceso il forno della panetteria?');
      expect(photoHit).toMatchObject({ filename: 'photo.jpg', page: 1 });
    },
    600_000,
  );
});
