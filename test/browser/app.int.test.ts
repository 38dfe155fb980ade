/**
 * The web app in a real browser against the real stack: Debian's Chromium driven by
 * playwright-core (no browser is ever downloaded), the built UI served by the API on its own
 * origin under the production CSP, real Temporal, workers, parsers, embeddings and LanceDB.
 * One person's session, in order: sign in, upload three files of which one is broken, watch
 * it finish live, read why the broken one failed, retry it, run two batches at once, reload
 * mid-batch, cancel mid-batch, search and open the document at the passage found, re-index it
 * with smaller chunks while it stays searchable, re-index a whole batch from its page, see a
 * failed re-index reported as failed, delete, Italian + dark theme, phone width, sign out.
 * Every screen is saved to test-results/screenshots/ (ignored by git).
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DocumentChunksResponse, DocumentListResponse, SearchResponse } from '../../core/contracts.js';
import { DEV_TENANT } from '../../runtime/dev-tenant.js';
import { ensureUiBuild, UI_BUILD_DIR } from '../../ui/ensure-build.js';
import { makeDocx, makePdf, makeText } from '../fixtures/documents.js';
import { makeTruncatedPdf } from '../fixtures/hostile.js';
import { startStack, type Stack } from '../stack.js';
import { createEmbedGate } from './gate.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = path.resolve(import.meta.dirname, '..', '..', 'test-results', 'screenshots');
const WAIT = 60_000;

const FILES = {
  report: {
    name: 'harbour-report.pdf',
    mimeType: 'application/pdf',
    // A longer first page, so a re-index with smaller chunks cuts it into several.
    buffer: makePdf([
      ['Harbour authority annual report.', ...Array.from({ length: 12 }, (_, i) => `Entry ${i + 1}: ships came in with the tide and left before dawn.`)].join('\n'),
      'The lighthouse keeper counted seventeen herons nesting on the breakwater in spring.',
    ]),
  },
  notes: {
    name: 'meeting-notes.docx',
    mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    buffer: makeDocx([{ text: 'Meeting notes', heading: 1 }, { text: 'The committee approved the new ferry timetable for the winter season.' }]),
  },
  broken: { name: 'scanned-contract.pdf', mimeType: 'application/pdf', buffer: makeTruncatedPdf() },
};
const textFile = (name: string, text: string) => ({ name, mimeType: 'text/plain', buffer: makeText(text) });

const gate = createEmbedGate();
let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let shotIndex = 0;
/** Console errors and page errors; a CSP violation or an uncaught exception shows up here. */
const browserErrors: string[] = [];

async function shot(name: string, target: Page = page): Promise<void> {
  shotIndex++;
  await target.screenshot({ path: path.join(SCREENSHOTS, `${String(shotIndex).padStart(2, '0')}-${name}.png`), fullPage: true });
}

/** Marks the current document; `stillSameDocument` is false after any reload or full navigation. */
async function markDocument(target: Page = page): Promise<void> {
  await target.evaluate(() => {
    (window as unknown as { __docflowMark: boolean }).__docflowMark = true;
  });
}
async function stillSameDocument(target: Page = page): Promise<boolean> {
  return target.evaluate(() => (window as unknown as { __docflowMark?: boolean }).__docflowMark === true);
}

const row = (filename: string, target: Page = page) => target.locator(`[data-testid="document-row"][data-filename="${filename}"]`);
const batchIdFromUrl = (target: Page = page) => new URL(target.url()).pathname.split('/').pop()!;

async function upload(files: { name: string; mimeType: string; buffer: Buffer }[]): Promise<string> {
  await page.getByRole('link', { name: 'Upload' }).click();
  await page.locator('#file-input').setInputFiles(files);
  await page.getByTestId('upload-submit').click();
  await page.waitForURL(/\/batches\/[A-Za-z0-9-]+$/, { timeout: WAIT });
  await page.getByTestId('document-row').first().waitFor({ timeout: WAIT });
  return batchIdFromUrl();
}

/** Signs in unless the session already is (a test run alone, with -t, starts signed out). */
async function signedIn(): Promise<void> {
  await page.goto(`${stack.baseUrl}/`);
  const key = page.getByLabel('API key');
  const home = page.getByRole('heading', { name: 'Upload documents' });
  await key.or(home).first().waitFor();
  if (!(await key.isVisible())) return;
  await key.fill(stack.apiKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await home.waitFor();
}

async function untilHeld(batchId: string): Promise<void> {
  await expect.poll(() => gate.waiting().has(batchId), { timeout: WAIT, interval: 200 }).toBe(true);
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install it (Debian: apt-get install chromium) or set CHROMIUM_PATH`);
  rmSync(SCREENSHOTS, { recursive: true, force: true });
  mkdirSync(SCREENSHOTS, { recursive: true });
  ensureUiBuild((m) => console.log(`[browser test] ${m}`));
  stack = await startStack({ uiDir: UI_BUILD_DIR, wrapIndexActivities: (real) => gate.wrap(real) });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-US', colorScheme: 'light' });
  context.setDefaultTimeout(WAIT);
  page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') browserErrors.push(m.text());
  });
  page.on('pageerror', (err) => browserErrors.push(err.message));
  // Confirmation dialogs (cancel a batch, delete a document) are accepted, as a person would.
  page.on('dialog', (dialog) => void dialog.accept());
});

afterAll(async () => {
  gate.openAll();
  await browser?.close();
  await stack?.close();
});

describe('web app in Chromium against the real stack', () => {
  it('serves the app on the API origin under a CSP that allows its bootstrap by hash only', async () => {
    const res = await fetch(`${stack.baseUrl}/batches/some-id`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toContain('unsafe-inline');
    // The app is public, the API is not.
    expect((await fetch(`${stack.baseUrl}/api/batches`)).status).toBe(401);
    expect((await fetch(`${stack.baseUrl}/api/nope`)).status).toBe(401);
  });

  it('signs in with an API key (and refuses a wrong one)', async () => {
    await page.goto(`${stack.baseUrl}/`);
    await page.waitForURL(/\/login/);
    await shot('login');
    await page.getByLabel('API key').fill('not-a-real-key-0000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('unknown or has been revoked');
    await page.getByLabel('API key').fill(stack.apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Upload documents' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/');
    // The key became an httpOnly cookie: not readable by scripts, not in storage.
    expect(await page.evaluate(() => document.cookie)).toBe('');
    expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain(stack.apiKey);
  });

  it('checks files against the limits before sending anything', async () => {
    await page.locator('#file-input').setInputFiles([{ name: 'virus.exe', mimeType: 'application/octet-stream', buffer: Buffer.from('MZ') }, textFile('empty.txt', '')]);
    const selected = page.getByTestId('selected-files');
    await expect.poll(() => selected.textContent()).toContain('Not an accepted type (.exe)');
    expect(await selected.textContent()).toContain('This file is empty');
    expect(await page.getByTestId('upload-submit').isDisabled()).toBe(true);
    await shot('upload-refused-before-sending');
    await page.getByRole('button', { name: 'Clear' }).click();
  });

  let firstBatch = '';
  it('uploads three files, one broken, and follows them live to the end without a reload', async () => {
    await page.locator('#file-input').setInputFiles([FILES.report, FILES.notes, FILES.broken]);
    await shot('upload-selected');
    await markDocument();
    await page.getByTestId('upload-submit').click();
    await page.waitForURL(/\/batches\//);
    firstBatch = batchIdFromUrl();
    await untilHeld(firstBatch);

    // Mid-batch: the broken file has already failed while the good ones wait to be embedded.
    await expect.poll(() => row(FILES.broken.name).getAttribute('data-status'), { timeout: WAIT }).toBe('failed');
    expect(await row(FILES.report.name).getAttribute('data-status')).not.toMatch(/indexed|failed/);
    expect(await page.getByTestId('progress-summary').getAttribute('aria-live')).toBe('polite');
    expect(await page.getByTestId('progress-summary').textContent()).toContain('Documents finished: 1 of 3');
    expect(await page.getByTestId('live').isVisible()).toBe(true);
    expect(await page.getByTestId('temporal-link').getAttribute('href')).toMatch(/\/namespaces\/[^/]+\/workflows\/ingest-/);
    await shot('batch-live-mid-way');

    gate.release(firstBatch);
    await expect.poll(() => page.getByTestId('batch-status').textContent(), { timeout: WAIT }).toBe('Completed with errors');
    expect(await page.getByTestId('progress-summary').textContent()).toContain('Documents finished: 3 of 3');
    expect(await row(FILES.report.name).getAttribute('data-status')).toBe('indexed');
    expect(await row(FILES.notes.name).getAttribute('data-status')).toBe('indexed');
    expect(await stillSameDocument()).toBe(true);
    // The end of a batch raises a toast.
    await expect.poll(() => page.getByTestId('toast').allTextContents()).toContainEqual(expect.stringContaining('finished with errors'));
  });

  it('explains in plain language why the broken file failed', async () => {
    const reason = row(FILES.broken.name).getByTestId('reason');
    const text = await reason.textContent();
    expect(text).toContain('corrupt');
    expect(text).toContain('The file is damaged and cannot be read.');
    expect(text).toContain('save or export it again');
    await shot('batch-finished-with-reason');
  });

  it('switches to Italian and the dark theme, and remembers both', async () => {
    await page.goto(`${stack.baseUrl}/batches/${firstBatch}`);
    await page.getByTestId('language').selectOption('it');
    await page.getByTestId('theme').selectOption('dark');
    await page.getByRole('link', { name: 'Lotti' }).waitFor();
    expect(await row(FILES.broken.name).getByTestId('reason').textContent()).toContain('Il file è danneggiato');
    await page.reload();
    await page.getByRole('link', { name: 'Documenti' }).waitFor();
    expect(await page.evaluate(() => [document.documentElement.lang, document.documentElement.dataset.theme])).toEqual(['it', 'dark']);
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(background).toBe('rgb(15, 20, 29)');
    await shot('batch-italian-dark');
    await page.getByTestId('language').selectOption('en');
    await page.getByTestId('theme').selectOption('light');
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(246, 247, 251)');
  });

  it('fits a phone screen', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'en-US' });
    const mobile = await phone.newPage();
    await mobile.goto(`${stack.baseUrl}/login`);
    await mobile.getByLabel('API key').fill(stack.apiKey);
    await mobile.getByRole('button', { name: 'Sign in' }).click();
    await mobile.getByRole('heading', { name: 'Upload documents' }).waitFor();
    await mobile.goto(`${stack.baseUrl}/batches/${firstBatch}`);
    await row(FILES.broken.name, mobile).getByTestId('reason').waitFor();
    // Nothing wider than the screen: no sideways scrolling.
    expect(await mobile.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot('phone-batch', mobile);
    await phone.close();
  });

  it('retries the failed document with one click, as a new run that fails for the same reason', async () => {
    await markDocument();
    await page.getByRole('button', { name: `Retry ${FILES.broken.name}` }).click();
    await expect.poll(() => page.getByTestId('toast').allTextContents()).toContainEqual(expect.stringContaining('Retry started (run 2)'));
    // The view follows the new run (its own workflow, `…-r2`) without a reload; the file is
    // still broken, so that run ends with the same explanation.
    await expect.poll(() => page.getByTestId('temporal-link').getAttribute('href'), { timeout: WAIT }).toMatch(/-r2$/);
    await expect.poll(() => page.getByTestId('batch-status').textContent(), { timeout: WAIT }).not.toBe('Running');
    expect(await row(FILES.broken.name).getAttribute('data-status')).toBe('failed');
    expect(await row(FILES.broken.name).getByTestId('reason').textContent()).toContain('The file is damaged and cannot be read.');
    const batch = (await (await fetch(`${stack.baseUrl}/api/batches?limit=5`, { headers: { authorization: `Bearer ${stack.apiKey}` } })).json()) as {
      batches: { batchId: string; run: number }[];
    };
    expect(batch.batches.find((b) => b.batchId === firstBatch)?.run).toBe(2);
    expect(await stillSameDocument()).toBe(true);
  });

  it('fixes a document that failed on our side with "Retry all failed"', async () => {
    gate.failNextEmbed();
    const batchId = await upload([textFile('tide-tables.txt', 'High tide at the harbour mouth is at noon on Sundays.')]);
    gate.release(batchId);
    const doc = row('tide-tables.txt');
    await expect.poll(() => doc.getAttribute('data-status'), { timeout: WAIT }).toBe('failed');
    expect(await doc.getByTestId('reason').textContent()).toContain('An unexpected error happened on our side.');
    await markDocument();
    await page.getByTestId('retry-all').click();
    await expect.poll(() => doc.getAttribute('data-status'), { timeout: WAIT }).toBe('indexed');
    await expect.poll(() => page.getByTestId('batch-status').textContent(), { timeout: WAIT }).toBe('Completed');
    expect(await doc.getByTestId('reason').count()).toBe(0);
    expect(await stillSameDocument()).toBe(true);
    await shot('batch-fixed-by-retry');
  });

  it("shows each file's own progress while the bytes go out", async () => {
    // A slow uplink (Chromium's network throttling), so the one request takes a few seconds.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 256 * 1024 });
    try {
      const big = (name: string) => textFile(name, `${name} `.repeat(40_000));
      await page.getByRole('link', { name: 'Upload' }).click();
      await page.locator('#file-input').setInputFiles([big('survey-north.txt'), big('survey-south.txt')]);
      await page.getByTestId('upload-submit').click();
      // Files go in order: the first bar fills while the second has not started.
      await page.waitForFunction(() => {
        const bars = [...document.querySelectorAll<HTMLProgressElement>('[data-testid="file-progress"]')];
        return bars.length === 2 && bars[0].value > 0.3 && bars[1].value === 0;
      });
      await shot('upload-progress');
      await page.waitForFunction(() => {
        const bars = [...document.querySelectorAll<HTMLProgressElement>('[data-testid="file-progress"]')];
        return bars.length === 2 && bars[0].value === 1 && bars[1].value > 0;
      });
      await page.waitForURL(/\/batches\//);
    } finally {
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      await cdp.detach();
    }
    // Nothing more to see in this batch: stop it (its embedding is held at the gate).
    const cancel = await fetch(`${stack.baseUrl}/api/batches/${batchIdFromUrl()}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${stack.apiKey}` } });
    expect(cancel.status).toBe(202);
    await expect.poll(() => page.getByTestId('batch-status').textContent(), { timeout: WAIT }).toBe('Cancelled');
  });

  let second = '';
  let third = '';
  it('runs two batches at once and lists them in the history with a status filter', async () => {
    second = await upload([
      textFile('river-levels.txt', 'River levels rose by a metre after the storm in the valley.'),
      textFile('bridge-survey.txt', 'The bridge survey found rust on the northern pillars.'),
    ]);
    await untilHeld(second);
    third = await upload([textFile('orchard.txt', 'The orchard produced apples and pears this autumn.'), textFile('bakery.txt', 'The bakery opens at six and sells rye bread.')]);
    await untilHeld(third);

    await page.getByRole('link', { name: 'Batches' }).click();
    await page.getByTestId('batch-row').first().waitFor();
    expect(await page.getByTestId('batch-row').count()).toBe(5);
    await page.getByTestId('batch-filter').selectOption('running');
    await expect.poll(() => page.getByTestId('batch-row').count()).toBe(2);
    await shot('batches-history-running');
    await page.getByTestId('batch-filter').selectOption('cancelled');
    await expect.poll(() => page.getByTestId('batch-row').count()).toBe(1);
    await page.getByTestId('batch-filter').selectOption('');
  });

  it('restores the live view after a reload in mid-batch, then reaches the end without another reload', async () => {
    await page.goto(`${stack.baseUrl}/batches/${second}`);
    await page.getByTestId('document-row').first().waitFor();
    await page.reload();
    await page.getByTestId('live').waitFor();
    expect(await page.getByTestId('document-row').count()).toBe(2);
    expect(await page.getByTestId('progress-summary').textContent()).toContain('Documents finished: 0 of 2');
    expect(await page.getByTestId('batch-status').textContent()).toBe('Running');
    await shot('batch-after-reload');
    await markDocument();

    // The line drops (and stays down a moment): the page says it is reconnecting, then goes
    // live again by itself.
    await context.setOffline(true);
    try {
      stack.dropConnections();
      await page.getByTestId('reconnecting').waitFor({ timeout: 15_000 });
      await shot('batch-reconnecting');
    } finally {
      await context.setOffline(false);
    }
    await page.getByTestId('live').waitFor();
    await page.getByTestId('reconnecting').waitFor({ state: 'detached' });

    gate.release(second);
    await expect.poll(() => page.getByTestId('batch-status').textContent(), { timeout: WAIT }).toBe('Completed');
    expect(await page.getByTestId('progress-summary').textContent()).toContain('Documents finished: 2 of 2');
    expect(await stillSameDocument()).toBe(true);
  });

  it('cancels a batch mid-way', async () => {
    await page.goto(`${stack.baseUrl}/batches/${third}`);
    await page.getByTestId('live').waitFor();
    expect(gate.waiting().has(third)).toBe(true);
    await page.getByTestId('cancel-batch').click();
    await expect.poll(() => page.getByTestId('batch-status').textContent(), { timeout: WAIT }).toBe('Cancelled');
    await expect.poll(() => page.getByTestId('document-status').allTextContents()).toEqual(['Cancelled', 'Cancelled']);
    await page.getByTestId('retry-all').waitFor(); // cancelled documents can be retried
    await shot('batch-cancelled');
  });

  it('searches the index and opens the document at the passage it found, the query highlighted', async () => {
    await page.getByRole('link', { name: 'Search' }).click();
    await page.getByTestId('search-input').fill('how many herons nest on the breakwater?');
    expect(await page.getByTestId('search-mode').inputValue()).toBe('hybrid');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const first = page.getByTestId('search-result').first();
    await first.waitFor();
    expect(await first.textContent()).toContain(FILES.report.name);
    expect(await first.textContent()).toContain('seventeen herons');
    expect(await first.textContent()).toContain('page 2');
    // Found by its meaning and by its words; the words are marked in the passage.
    expect(await first.getByTestId('result-matched').textContent()).toBe('found by meaning and words');
    expect(await first.locator('mark').allTextContents()).toEqual(['herons', 'breakwater']);
    await shot('search-results');
    await markDocument();
    await first.getByTestId('result-link').click();
    await page.waitForURL(/\/documents\/[A-Za-z0-9-]+\?chunk=\d+&q=/);
    expect(await stillSameDocument()).toBe(true);
    // The chunk the passage came from is marked, scrolled into view and shows its page.
    const found = page.locator('[data-testid="chunk"][aria-current="location"]');
    await found.waitFor();
    expect(await found.textContent()).toContain('seventeen herons');
    expect(await found.getByTestId('chunk-detail').allTextContents()).toContain('page 2');
    expect(await found.locator('mark').allTextContents()).toEqual(['herons', 'breakwater']);
    await expect.poll(() => found.evaluate((el) => el.getBoundingClientRect().top >= 0 && el.getBoundingClientRect().bottom <= window.innerHeight)).toBe(true);
    // The record: its format, status, version and a way to its runs in Temporal.
    expect(await page.getByTestId('document-title').textContent()).toBe(FILES.report.name);
    expect(await page.getByTestId('document-record').textContent()).toContain('PDF');
    expect(await page.getByTestId('document-version').textContent()).toBe('1');
    expect(await page.getByTestId('temporal-run').getAttribute('href')).toMatch(/\/namespaces\/[^/]+\/workflows\/ingest-/);
    expect(await page.getByTestId('temporal-runs').getAttribute('href')).toContain('workflows?query=DocflowBatch');
    // Every chunk of the document is there, the first page included.
    expect(await page.getByTestId('chunk').count()).toBeGreaterThanOrEqual(2);
    expect(await page.getByTestId('chunk').first().getAttribute('data-index')).toBe('0');
    await shot('document-at-search-result');
    // The document's batch, with its row pointed at.
    await page.getByTestId('document-batch').click();
    await page.waitForURL(new RegExp(`/batches/${firstBatch}#doc-`));
    await row(FILES.report.name).waitFor();
    expect(await page.locator('tr.target').getAttribute('data-filename')).toBe(FILES.report.name);
  });

  it('re-indexes the document from its page with smaller chunks, while every search finds it', async () => {
    // Back to the document as the search result opened it (the test before went on to its batch).
    await page.goBack();
    await page.waitForURL(/\/documents\/[A-Za-z0-9-]+\?chunk=\d+&q=/);
    await page.locator('[data-testid="chunk"][aria-current="location"]').waitFor();
    const documentId = new URL(page.url()).pathname.split('/').pop()!;
    const apiGet = async <T>(p: string) => (await (await fetch(`${stack.baseUrl}${p}`, { headers: { authorization: `Bearer ${stack.apiKey}` } })).json()) as T;
    const before = await apiGet<DocumentChunksResponse>(`/api/documents/${documentId}/chunks?limit=100`);
    expect(before.version).toBe(1);
    expect(Math.max(...before.chunks.map((c) => c.tokens))).toBeGreaterThan(40);
    expect(await page.getByTestId('chunk').count()).toBe(before.chunkCount);

    // The form refuses what the API would refuse, in plain words, before sending anything.
    await page.getByTestId('reindex-max-tokens').fill('40');
    await page.getByTestId('reindex-overlap-tokens').fill('39');
    await page.getByTestId('reindex-submit').click();
    expect(await page.getByTestId('reindex-invalid').textContent()).toContain('at least 2 tokens smaller than the largest chunk');
    await page.getByTestId('reindex-overlap-tokens').fill('0');

    // A script searches the document through the API every 200 ms, by meaning, words and both in
    // turn, and notes when the store held both versions' points (the window that matters).
    const modes = ['hybrid', 'dense', 'keyword'];
    const missed: string[] = [];
    let searches = 0;
    let withBothVersions = 0;
    let searching = true;
    const loop = (async () => {
      while (searching) {
        const mode = modes[searches % modes.length];
        const res = await fetch(`${stack.baseUrl}/api/search`, {
          method: 'POST',
          headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ query: 'seventeen herons nesting on the breakwater', limit: 5, mode }),
        });
        const results = res.ok ? ((await res.json()) as SearchResponse).results : [];
        searches++;
        if (!results.some((r) => r.documentId === documentId)) missed.push(`${mode}: HTTP ${res.status} ${JSON.stringify(results.map((r) => r.filename))}`);
        const oldPoints = (await stack.vectors.documentChunks(DEV_TENANT, documentId, 1, 0, 100)).length;
        if (oldPoints > 0 && (await stack.vectors.countDocument(DEV_TENANT, documentId, 1)) > 0) withBothVersions++;
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    try {
      // The run waits at its embedding step until the page has shown it live; once written, its
      // points stay beside the old version's a moment before the switch.
      gate.hold(firstBatch);
      gate.lingerAfterWrite(firstBatch, 1_500);
      await markDocument();
      await page.getByTestId('reindex-submit').click();
      await page.getByTestId('reindex-progress').waitFor();
      await untilHeld(firstBatch);
      await page.getByTestId('reindex-live').waitFor();
      await expect.poll(() => page.getByTestId('reindex-progress').textContent()).toContain('Re-indexing — step: Embedding');
      expect(await page.getByTestId('reindex-progress').textContent()).toMatch(/Chunks embedded: 0 of \d+/);
      expect(await page.getByTestId('reindex-batch').getAttribute('href')).toBe(`/batches/${firstBatch}#doc-${documentId}`);
      expect(await page.getByTestId('reindex-batch').textContent()).toContain('Run 3');
      await shot('document-reindexing');

      gate.release(firstBatch);
      await page.getByTestId('reindex-done').waitFor({ timeout: WAIT });
      // A few more searches after the switch and the removal of the old version.
      const until = searches + 3;
      await expect.poll(() => searches, { timeout: WAIT, interval: 100 }).toBeGreaterThanOrEqual(until);
    } finally {
      searching = false;
      await loop;
    }
    expect(missed).toEqual([]);
    expect(searches).toBeGreaterThan(5);
    expect(withBothVersions).toBeGreaterThan(0);

    // The page read the document again without a reload: version 2, more and smaller chunks,
    // and the old version's chunk index is no longer marked as the search's passage.
    const after = await apiGet<DocumentChunksResponse>(`/api/documents/${documentId}/chunks?limit=100`);
    expect(after.version).toBe(2);
    expect(after.chunkCount).toBeGreaterThan(before.chunkCount);
    await expect.poll(() => page.getByTestId('document-version').textContent()).toBe('2');
    await expect.poll(() => page.getByTestId('chunk').count()).toBe(after.chunkCount);
    expect(await page.getByTestId('chunk-count').textContent()).toContain(`${after.chunkCount} chunks`);
    const tokens = (await page.locator('[data-testid="chunk"] [data-testid="chunk-detail"]').allTextContents())
      .filter((d) => d.endsWith(' tokens'))
      .map((d) => Number.parseInt(d, 10));
    expect(tokens).toHaveLength(after.chunkCount);
    for (const n of tokens) expect(n).toBeLessThanOrEqual(40);
    expect(await page.locator('[data-testid="chunk"][aria-current="location"]').count()).toBe(0);
    expect(await page.getByTestId('chunks').textContent()).toContain('seventeen herons');
    expect(await stillSameDocument()).toBe(true);
    await shot('document-reindexed');

    // In the store: exactly the new version's points, none of the old one's.
    expect(await stack.vectors.countDocument(DEV_TENANT, documentId)).toBe(after.chunkCount);
    expect(await stack.vectors.countDocument(DEV_TENANT, documentId, 2)).toBe(0);
    expect((await stack.vectors.documentChunks(DEV_TENANT, documentId, 1, 0, 100)).length).toBe(0);

    // On to the document's batch, where the next test starts.
    await page.getByTestId('document-batch').click();
    await page.waitForURL(new RegExp(`/batches/${firstBatch}#doc-`));
    await row(FILES.notes.name).waitFor();
  });

  it('opens a document from its batch and from the Documents list', async () => {
    await row(FILES.notes.name).getByTestId('document-link').click();
    await page.getByTestId('document-title').waitFor();
    expect(await page.getByTestId('document-title').textContent()).toBe(FILES.notes.name);
    const chunk = page.getByTestId('chunk').first();
    await chunk.waitFor();
    expect(await page.getByTestId('chunks').textContent()).toContain('ferry timetable');
    // No search led here: nothing is marked.
    expect(await page.locator('mark').count()).toBe(0);
    expect(await page.locator('[data-testid="chunk"][aria-current="location"]').count()).toBe(0);

    await page.getByRole('link', { name: 'Documents' }).click();
    await page.locator(`[data-testid="document-item"][data-filename="${FILES.broken.name}"]`).getByTestId('document-link').click();
    await page.getByTestId('document-title').waitFor();
    // A document that never got indexed: its reason, and no chunks.
    expect(await page.getByTestId('document-reason').textContent()).toContain('corrupt');
    await page.getByTestId('no-chunks').waitFor();
    await shot('document-failed');
  });

  it('lists documents and deletes one', async () => {
    await page.getByRole('link', { name: 'Documents' }).click();
    await page.locator(`[data-testid="document-item"][data-filename="${FILES.notes.name}"]`).waitFor();
    await shot('documents');
    await page.getByRole('button', { name: `Delete ${FILES.notes.name}` }).click();
    await expect.poll(() => page.locator(`[data-testid="document-item"][data-filename="${FILES.notes.name}"]`).count()).toBe(0);
    await expect.poll(() => page.getByTestId('toast').allTextContents()).toContainEqual(expect.stringContaining('was deleted'));
    // Gone for search too.
    const res = await fetch(`${stack.baseUrl}/api/search`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'ferry timetable for the winter season', limit: 10 }),
    });
    const body = (await res.json()) as { results: { filename: string }[] };
    expect(body.results.map((r) => r.filename)).not.toContain(FILES.notes.name);
  });

  it('re-indexes a whole batch from its page with smaller chunks, following the new run live', async () => {
    await signedIn();
    // Two short documents, cut at the stack's size (120 tokens); at 30, into more chunks.
    const tide = (place: string) => Array.from({ length: 8 }, (_, i) => `At ${place}, gauge ${i + 1} read two metres of water at dawn.`).join(' ');
    const batchId = await upload([textFile('tides-north.txt', tide('the north pier')), textFile('tides-south.txt', tide('the south jetty'))]);
    const form = page.getByTestId('batch-reindex');
    // Not offered while the batch runs: the API would refuse it.
    expect(await form.count()).toBe(0);
    gate.release(batchId);
    await expect.poll(() => page.getByTestId('batch-status').textContent(), { timeout: WAIT }).toBe('Completed');
    const apiGet = async <T>(p: string) => (await (await fetch(`${stack.baseUrl}${p}`, { headers: { authorization: `Bearer ${stack.apiKey}` } })).json()) as T;
    const documents = async () => (await apiGet<DocumentListResponse>(`/api/documents?batchId=${batchId}`)).documents;
    const before = await documents();
    expect(before.map((d) => d.version)).toEqual([1, 1]);
    const chunksBefore = new Map(before.map((d) => [d.documentId, d.chunks]));

    // The same checks as the document's form, in the same words, before anything is sent.
    await form.getByTestId('reindex-max-tokens').fill('1');
    await form.getByTestId('reindex-submit').click();
    expect(await form.getByTestId('reindex-invalid').textContent()).toContain('The largest chunk must be a whole number from 2 to 8192.');
    await form.getByTestId('reindex-max-tokens').fill('30');
    await form.getByTestId('reindex-overlap-tokens').fill('0');

    // The new run waits at its embedding step, so the page is seen following it live.
    gate.hold(batchId);
    await markDocument();
    await form.getByTestId('reindex-submit').click();
    await expect.poll(() => page.getByTestId('toast').allTextContents()).toContainEqual(expect.stringContaining('Re-index started (run 2)'));
    await untilHeld(batchId);
    await page.getByTestId('live').waitFor();
    expect(await page.getByTestId('batch-status').textContent()).toBe('Running');
    expect(await page.getByTestId('temporal-link').getAttribute('href')).toMatch(/-r2$/);
    expect(await form.count()).toBe(0);
    await shot('batch-reindexing');

    gate.release(batchId);
    await expect.poll(() => page.getByTestId('batch-status').textContent(), { timeout: WAIT }).toBe('Completed');
    expect(await page.getByTestId('document-status').allTextContents()).toEqual(['Indexed', 'Indexed']);
    expect(await stillSameDocument()).toBe(true);
    // Read through the API: both documents answer from their new version, cut into more chunks.
    const after = await documents();
    expect(after).toHaveLength(2);
    for (const d of after) {
      expect(d.version).toBe(2);
      expect(d.chunks).toBeGreaterThan(chunksBefore.get(d.documentId)!);
    }
    await form.waitFor();
    await shot('batch-reindexed');

    // A run started elsewhere meanwhile (this page still shows the batch ended): the page's
    // request is refused in plain words, and the page follows the run that is in the way.
    gate.hold(batchId);
    const elsewhere = await fetch(`${stack.baseUrl}/api/batches/${batchId}/reindex`, { method: 'POST', headers: { authorization: `Bearer ${stack.apiKey}` } });
    expect(elsewhere.status).toBe(202);
    await form.getByTestId('reindex-submit').click();
    expect(await page.getByTestId('reindex-error').textContent()).toBe('This batch is still running: wait until it finishes, or cancel it.');
    await expect.poll(() => page.getByTestId('temporal-link').getAttribute('href'), { timeout: WAIT }).toMatch(/-r3$/);
    expect(await page.getByTestId('batch-status').textContent()).toBe('Running');
    gate.release(batchId);
    await expect.poll(() => page.getByTestId('batch-status').textContent(), { timeout: WAIT }).toBe('Completed');
    await form.getByTestId('reindex-submit').waitFor();
    expect(await page.getByTestId('reindex-error').count()).toBe(0);
  });

  it('says on the document page that its re-index failed, and search still answers from the old version', async () => {
    await signedIn();
    const batchId = await upload([textFile('buoy-log.txt', 'The red buoy at the harbour mouth was repainted in March and relit in April.')]);
    gate.release(batchId);
    await expect.poll(() => page.getByTestId('batch-status').textContent(), { timeout: WAIT }).toBe('Completed');
    await row('buoy-log.txt').getByTestId('document-link').click();
    await page.getByTestId('reindex-form').waitFor();
    expect(await page.getByTestId('document-version').textContent()).toBe('1');

    // The new version's embedding fails for good: the run ends, and the record is still
    // `indexed` at version 1, as it should be; the page must not call that a success.
    gate.failNextEmbed();
    await page.getByTestId('reindex-max-tokens').fill('30');
    await page.getByTestId('reindex-submit').click();
    const failed = page.getByTestId('reindex-failed');
    await failed.waitFor({ timeout: WAIT });
    expect(await failed.textContent()).toContain('The re-index did not complete: search still answers from the previous version.');
    expect(await page.getByTestId('reindex-done').count()).toBe(0);
    expect(await page.getByTestId('document-version').textContent()).toBe('1');
    expect(await failed.getByTestId('reindex-failure').textContent()).toContain('An unexpected error happened on our side.');
    await page.getByTestId('reindex-form').waitFor(); // and it can be tried again
    await shot('document-reindex-failed');

    // Why it failed is kept on the record, not only in the tab that started it: a reload still says so.
    await page.reload();
    const kept = page.getByTestId('document-reindex-failure');
    await kept.waitFor({ timeout: WAIT });
    const text = await kept.textContent();
    expect(text).toContain('Version 2 did not complete');
    expect(text).toContain('search answers from version 1');
    expect(text).toContain('internal_error');
    expect(text).toContain('An unexpected error happened on our side.');
    expect(await page.getByTestId('document-version').textContent()).toBe('1');
    expect(await page.getByTestId('document-status').textContent()).toBe('Indexed');

    // Its batch's row says so too: indexed, with a re-index failed badge.
    await page.getByTestId('document-batch').click();
    const badge = row('buoy-log.txt').getByTestId('reindex-failed-badge');
    await badge.waitFor({ timeout: WAIT });
    expect(await badge.textContent()).toBe('Re-index failed');
    expect(await row('buoy-log.txt').getAttribute('data-status')).toBe('indexed');
  });

  it('signs out', async () => {
    await page.goto(`${stack.baseUrl}/`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login/);
    expect(await page.evaluate(() => fetch('/api/session').then((r) => r.status))).toBe(401);
    expect(browserErrors.filter((e) => !e.includes('401') && !e.includes('Failed to load resource'))).toEqual([]);
  });
});
