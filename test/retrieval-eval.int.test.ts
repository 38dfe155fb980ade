/**
 * Retrieval quality holds its targets (issue 13): on the generated evaluation set, with the real
 * local embedding model and a real LanceDB, hybrid search finds every exact identifier within
 * its first five results, ranks paraphrased questions at least as well as dense search does
 * within five, and puts the right passage first for at least 80% of them. The same evaluation
 * prints its table with `npm run eval`.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLanceDbStore } from '../adapters/lancedb-store.js';
import { createOpenAiEmbedder } from '../adapters/openai-embedder.js';
import type { VectorStore } from '../adapters/vector-store.js';
import { evaluateRetrieval, formatRetrievalReport, type RetrievalReport } from '../bench/retrieval-eval.js';
import { testEnv } from './env.js';

describe('retrieval evaluation (real embeddings, real LanceDB)', () => {
  let vectors: VectorStore;
  let report: RetrievalReport;
  const row = (mode: string, kind: string) => report.rows.find((r) => r.mode === mode && r.kind === kind)!;

  beforeAll(async () => {
    const env = testEnv();
    vectors = await createLanceDbStore({ dir: path.join(env.TEST_DATA_DIR, `retrieval-eval-${process.pid}`) });
    report = await evaluateRetrieval({ embedder: createOpenAiEmbedder({ baseURL: env.EMBEDDINGS_BASE_URL, model: env.EMBEDDINGS_MODEL }), vectors });
    console.log(formatRetrievalReport(report));
  });
  afterAll(async () => {
    await vectors?.close();
  });

  it('measures every mode on both kinds of query', () => {
    expect(report.rows.map((r) => `${r.mode}/${r.kind}`)).toEqual([
      'dense/paraphrase',
      'dense/identifier',
      'hybrid/paraphrase',
      'hybrid/identifier',
      'keyword/paraphrase',
      'keyword/identifier',
    ]);
    expect(row('hybrid', 'paraphrase').queries).toBeGreaterThanOrEqual(20);
    expect(row('hybrid', 'identifier').queries).toBeGreaterThanOrEqual(15);
  });

  it('finds every exact identifier within the first five hybrid results', () => {
    expect(row('hybrid', 'identifier').recallAt5).toBe(1);
  });

  it('ranks paraphrased questions in hybrid mode at least as well as dense search within five', () => {
    expect(row('hybrid', 'paraphrase').recallAt5).toBeGreaterThanOrEqual(row('dense', 'paraphrase').recallAt5);
  });

  it('puts the right passage first for at least 80% of paraphrased questions', () => {
    expect(row('hybrid', 'paraphrase').recallAt1).toBeGreaterThanOrEqual(0.8);
  });
});
