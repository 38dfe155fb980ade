/**
 * Embedding-model switch on the real stack (Temporal, workers, the real local model, LanceDB,
 * SQLite), to a second model served over HTTP by a loopback OpenAI-compatible endpoint (a
 * bag-of-words model, so dense search over its vectors finds documents by their words):
 * - started from the web app's Embedding model page in Chromium, which follows it live to its
 *   end: search works at every moment of the switch (a loop searches every 200 ms through the
 *   API, rotating modes) and ends on the new collection; a document uploaded during the switch is
 *   in it too; the old collection is dropped; another tenant sees none of it;
 * - a switch to a model that refuses one document fails before the swap: the tenant stays on its
 *   model, searches keep working, the refused document is named, and the new collection is gone.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAiEmbedder } from '../adapters/openai-embedder.js';
import { generateApiKey } from '../api/keys.js';
import { startLoopbackEmbedder, wordVector, type LoopbackEmbedder } from '../bench/loopback-embedder.js';
import type { EmbeddingModelState, SearchResponse } from '../core/contracts.js';
import { makeText } from './fixtures/documents.js';
import { uploadBatch, waitForBatch } from './http.js';
import { startStack, type Stack } from './stack.js';
import { ensurePythonTools } from '../scripts/services/python-tools.js';
import { testEnv } from './env.js';
import { ensureUiBuild, UI_BUILD_DIR } from '../ui/ensure-build.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const WORDS_MODEL = 'docflow-test-words';
const REFUSING_MODEL = 'docflow-test-refusing';
const REFUSED_MARKER = 'quarantined-manifest';
const TENANT = 'demo';

/** A short document about one subject, named by a word no other document uses. */
const note = (word: string, extra = '') =>
  makeText(`The ${word} inventory lists crates, ropes and lanterns stored in the north warehouse. ${extra}\n\nEach ${word} crate was counted twice by the night clerk.`);

describe('embedding-model switch', () => {
  let stack: Stack;
  let words: LoopbackEmbedder;
  let refusing: LoopbackEmbedder;
  let otherKey: string;
  let browser: Browser;

  beforeAll(async () => {
    // A fixed latency per request keeps the copy running for a while, so searches and an upload land mid-switch.
    words = await startLoopbackEmbedder({ model: WORDS_MODEL, dimensions: 128, vectorOf: wordVector, latencyMs: 250 });
    refusing = await startLoopbackEmbedder({ model: REFUSING_MODEL, dimensions: 96, vectorOf: wordVector, refuses: (text) => text.includes(REFUSED_MARKER) });
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install it (Debian: apt-get install chromium) or set CHROMIUM_PATH`);
    ensureUiBuild();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    stack = await startStack({
      uiDir: UI_BUILD_DIR,
      otherModels: [createOpenAiEmbedder({ baseURL: words.baseURL, model: WORDS_MODEL }), createOpenAiEmbedder({ baseURL: refusing.baseURL, model: REFUSING_MODEL })],
      modelSwitchRetireAfterMs: 1_000,
    });
    await stack.catalog.ensureTenant('other');
    const key = generateApiKey();
    await stack.catalog.addApiKey('other', key.hash, key.prefix);
    otherKey = key.key;
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await words?.close();
    await refusing?.close();
  });

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${stack.baseUrl}${path}`, { ...init, headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
  const state = async () => (await (await api('/api/embedding-model')).json()) as EmbeddingModelState;
  const search = async (query: string, mode: string) => {
    const res = await api('/api/search', { method: 'POST', body: JSON.stringify({ query, limit: 3, mode }) });
    expect(res.status).toBe(200);
    return ((await res.json()) as SearchResponse).results;
  };
  const upload = async (files: { name: string; bytes: Uint8Array }[]) => {
    const res = await uploadBatch(stack.baseUrl, stack.apiKey, files);
    expect(res.status).toBe(202);
    return { batchId: res.body.batchId as string, documentIds: (res.body.documents as { documentId: string }[]).map((d) => d.documentId) };
  };
  /** Searches every 200 ms, rotating modes, until stopped; records each search's documents. */
  const searchLoop = (query: string) => {
    const modes = ['hybrid', 'dense', 'keyword'];
    const seen: { mode: string; documentIds: string[] }[] = [];
    let running = true;
    const done = (async () => {
      for (let i = 0; running; i++) {
        const mode = modes[i % modes.length];
        seen.push({ mode, documentIds: (await search(query, mode)).map((r) => r.documentId) });
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    return {
      seen,
      stop: async () => {
        running = false;
        await done;
      },
    };
  };
  /** Exports the run's history for workflows/replay.test.ts (the CLI's JSON export is what replay reads). */
  const recordHistory = async (workflowId: string, type: string) => {
    const { runId } = await stack.client.workflow.getHandle(workflowId).describe();
    const { temporalBin } = await ensurePythonTools();
    const json = execFileSync(temporalBin, ['workflow', 'show', '--workflow-id', workflowId, '--run-id', runId, '--output', 'json', '--address', testEnv().TEMPORAL_ADDRESS], {
      maxBuffer: 64 * 1024 * 1024,
    });
    writeFileSync(path.resolve(import.meta.dirname, '../workflows/__histories__', `${type}.json`), json);
  };
  const switchEnded = async () => {
    for (;;) {
      const s = await state();
      if (s.switch && ['done', 'failed', 'cancelled'].includes(s.switch.phase)) return s;
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  it('moves the tenant to another model while every search keeps finding its documents, and drops the old collection', async () => {
    const first = await upload([
      { name: 'walrus.txt', bytes: note('walrus') },
      { name: 'heron.txt', bytes: note('heron') },
      { name: 'otter.txt', bytes: note('otter') },
      { name: 'badger.txt', bytes: note('badger') },
      { name: 'falcon.txt', bytes: note('falcon') },
      { name: 'marten.txt', bytes: note('marten') },
    ]);
    expect((await waitForBatch(stack.baseUrl, stack.apiKey, first.batchId)).documents.every((d) => d.status === 'indexed')).toBe(true);
    const before = await state();
    expect(before).toMatchObject({ model: stack.embedder.model, generation: 1, switch: null });
    expect(before.models).toEqual(expect.arrayContaining([stack.embedder.model, WORDS_MODEL]));
    const walrus = first.documentIds[0];

    const loop = searchLoop('walrus inventory crates');
    // The switch is started from the web app, which follows it live.
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-US' });
    context.setDefaultTimeout(120_000);
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${stack.baseUrl}/login`);
    await page.getByLabel('API key').fill(stack.apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Upload documents' }).waitFor();
    await page.getByRole('link', { name: 'Embedding model' }).click();
    await expect.poll(() => page.getByTestId('model-current').textContent()).toContain(`In use: ${stack.embedder.model} (index generation 1)`);
    await page.getByTestId('model-choice').selectOption(WORDS_MODEL);
    await page.getByTestId('model-switch').click();
    await page.locator('[data-testid="model-switch-progress"]').waitFor();
    // A second switch while one runs is refused.
    expect((await api('/api/embedding-model', { method: 'POST', body: JSON.stringify({ model: WORDS_MODEL }) })).status).toBe(409);
    // Uploaded during the switch: indexed with the current model and written to the new space too.
    const during = await upload([{ name: 'pelican.txt', bytes: note('pelican') }]);
    // The page reads the switch again every second until it ends.
    const phasesSeen = new Set<string>();
    await expect
      .poll(
        async () => {
          const phase = (await page.getByTestId('model-switch-progress').getAttribute('data-phase')) ?? '';
          phasesSeen.add(phase);
          return phase;
        },
        { timeout: 120_000, interval: 100 },
      )
      .toBe('done');
    expect(await page.getByTestId('model-current').textContent()).toContain(`In use: ${WORDS_MODEL} (index generation 2)`);
    expect(await page.getByTestId('model-phase').textContent()).toContain('Done: search uses the new model');
    expect(pageErrors).toEqual([]);
    await context.close();
    const ended = await switchEnded();
    await waitForBatch(stack.baseUrl, stack.apiKey, during.batchId);
    await loop.stop();
    // It was followed live, not just read at the end.
    expect(phasesSeen.size).toBeGreaterThan(1);

    expect(ended.switch).toMatchObject({ phase: 'done', swapped: true, model: WORDS_MODEL, generation: 2, failed: [], error: null });
    expect(ended.switch!.documents).toBeGreaterThanOrEqual(6);
    expect(ended).toMatchObject({ model: WORDS_MODEL, generation: 2 });
    // Every search, in every mode, before, during and after the swap, found the document.
    expect(loop.seen.length).toBeGreaterThan(5);
    for (const s of loop.seen) expect(s.documentIds, `a ${s.mode} search missed the document`).toContain(walrus);

    // Search answers from the new model's collection: dense vectors are bag-of-words now.
    for (const mode of ['dense', 'hybrid', 'keyword']) {
      expect((await search('pelican inventory crates', mode))[0]?.documentId, `${mode} search after the switch`).toBe(during.documentIds[0]);
    }
    const chunksIndexed = async () => {
      let total = 0;
      for (const id of [...first.documentIds, ...during.documentIds]) total += (await stack.catalog.getDocument(TENANT, id))!.chunks;
      return total;
    };
    expect(await stack.vectors.forGeneration(2).countAll(TENANT)).toBe(await chunksIndexed());
    expect(await stack.vectors.forGeneration(1).countAll(TENANT)).toBe(0);
    expect((await stack.catalog.listIndexSpaces(TENANT)).map((s) => [s.generation, s.model, s.state])).toEqual([
      [1, stack.embedder.model, 'retired'],
      [2, WORDS_MODEL, 'active'],
    ]);
    if (process.env.RECORD_HISTORIES === '1') await recordHistory(ended.switch!.workflowId, 'switchEmbeddingModel');
    // Another tenant sees none of it: its own model, no switch, nothing to cancel, and its searches are empty.
    const other = (path: string, init: RequestInit = {}) => api(path, { ...init, headers: { authorization: `Bearer ${otherKey}` } });
    const otherState = await other('/api/embedding-model');
    expect(await otherState.json()).toMatchObject({ model: stack.embedder.model, generation: 1, switch: null });
    expect((await other('/api/embedding-model/cancel', { method: 'POST' })).status).toBe(409);
    expect(await (await other('/api/search', { method: 'POST', body: JSON.stringify({ query: 'walrus inventory', limit: 5, mode: 'dense' }) })).json()).toEqual({ results: [] });
    // The inspector reads the new collection too.
    const chunks = (await (await api(`/api/documents/${walrus}/chunks`)).json()) as { chunks: { text: string }[] };
    expect(chunks.chunks[0].text).toContain('walrus');
  });

  it('fails before the swap when the new model refuses a document: the tenant keeps its model and its searches', async () => {
    const refused = await upload([{ name: 'manifest.txt', bytes: note('gannet', `This ${REFUSED_MARKER} must not leave the harbour.`) }]);
    await waitForBatch(stack.baseUrl, stack.apiKey, refused.batchId);
    const before = await state();
    const loop = searchLoop('gannet inventory crates');
    expect((await api('/api/embedding-model', { method: 'POST', body: JSON.stringify({ model: REFUSING_MODEL }) })).status).toBe(202);
    const ended = await switchEnded();
    await loop.stop();

    expect(ended.switch).toMatchObject({ phase: 'failed', swapped: false, model: REFUSING_MODEL });
    expect(ended.switch!.failed).toEqual([expect.objectContaining({ documentId: refused.documentIds[0], filename: 'manifest.txt' })]);
    expect(ended.switch!.error).toMatch(/could not be embedded/);
    expect(ended).toMatchObject({ model: before.model, generation: before.generation });
    for (const s of loop.seen) expect(s.documentIds, `a ${s.mode} search missed the document`).toContain(refused.documentIds[0]);
    const spaces = await stack.catalog.listIndexSpaces(TENANT);
    expect(spaces.at(-1)).toMatchObject({ generation: 3, model: REFUSING_MODEL, state: 'abandoned' });
    expect(await stack.vectors.forGeneration(3).countAll(TENANT)).toBe(0);
    // Unknown and current models are refused at once.
    expect((await api('/api/embedding-model', { method: 'POST', body: JSON.stringify({ model: 'no-such-model' }) })).status).toBe(400);
    expect((await api('/api/embedding-model', { method: 'POST', body: JSON.stringify({ model: before.model }) })).status).toBe(400);
  });
});
