/**
 * Retrieval quality, measured: indexes the generated evaluation set (test/fixtures/retrieval-set.ts)
 * the way production does — the real Markdown parser, the chunker with its default sizes, the
 * given embedder with passage and query prefixes, the given vector store — then asks every
 * query in every search mode and reports recall@1 and recall@5 per mode and kind of query.
 * `npm run eval` prints it (bench/eval.ts); the integration test holds the targets; the bench
 * can call evaluateRetrieval and put the report in its JSON.
 */
import { DEFAULT_PARSE_LIMITS, parserRegistry } from '../activities/parsers/index.js';
import { chunkPoints } from '../activities/points.js';
import type { Embedder } from '../adapters/embedder.js';
import { SINGLE_VERSION_INDEX, searchIndex } from '../adapters/index-search.js';
import { fixedSpaces } from '../adapters/index-spaces.js';
import type { VectorStore } from '../adapters/vector-store.js';
import { chunkDocument, DEFAULT_CHUNK_OPTIONS } from '../core/chunking.js';
import { SEARCH_MODES, type SearchMode } from '../core/hybrid-ranking.js';
import { retrievalEvalSet, type EvalQueryKind } from '../test/fixtures/retrieval-set.js';

/** Recall of one mode on one kind of query. */
export interface RecallRow {
  mode: SearchMode;
  kind: EvalQueryKind;
  queries: number;
  /** Share of queries whose first result holds the target passage. */
  recallAt1: number;
  /** Share of queries with the target passage among the first five results. */
  recallAt5: number;
}

/** A query whose target passage was not the first result, for reading the report. */
export interface EvalMiss {
  mode: SearchMode;
  kind: EvalQueryKind;
  query: string;
  /** 1-based rank of the target among the first five; null when it is not there. */
  rank: number | null;
  top: string;
}

export interface RetrievalReport {
  embeddingModel: string;
  documents: number;
  chunks: number;
  rows: RecallRow[];
  misses: EvalMiss[];
}

export interface EvaluateRetrievalOptions {
  embedder: Embedder;
  /** An empty store, or one where `tenantId` is unused: the set is written under that tenant. */
  vectors: VectorStore;
  tenantId?: string;
}

const KINDS: EvalQueryKind[] = ['paraphrase', 'identifier'];

/** Indexes the set and runs every query in every mode. */
export async function evaluateRetrieval(options: EvaluateRetrievalOptions): Promise<RetrievalReport> {
  const { embedder, vectors } = options;
  const tenantId = options.tenantId ?? 'retrieval-eval';
  const set = retrievalEvalSet();
  let chunks = 0;
  for (const [i, doc] of set.documents.entries()) {
    const parsed = await parserRegistry.md(new TextEncoder().encode(doc.markdown), DEFAULT_PARSE_LIMITS);
    const docChunks = chunkDocument(parsed, DEFAULT_CHUNK_OPTIONS);
    const embedded = await embedder.embed(
      docChunks.map((c) => c.text),
      'passage',
    );
    const owner = { tenantId, documentId: `eval-doc-${i}`, batchId: 'eval-batch', version: 1, filename: doc.filename };
    await vectors.ensureCollection(tenantId, embedded[0].length);
    await vectors.upsert(tenantId, chunkPoints(owner, docChunks, embedded));
    chunks += docChunks.length;
  }

  const found = new Map<string, { hits: number; top1: number; top5: number }>();
  const misses: EvalMiss[] = [];
  for (const mode of SEARCH_MODES) {
    for (const q of set.queries) {
      const target = set.passages.get(q.target)!.text;
      const hits = await searchIndex({ spaces: fixedSpaces(vectors, embedder), catalog: SINGLE_VERSION_INDEX }, { tenantId, query: q.query, mode, limit: 5 });
      const at = hits.findIndex((h) => h.payload.text.includes(target));
      const key = `${mode}/${q.kind}`;
      const tally = found.get(key) ?? { hits: 0, top1: 0, top5: 0 };
      tally.hits++;
      if (at === 0) tally.top1++;
      if (at >= 0) tally.top5++;
      found.set(key, tally);
      if (at !== 0) misses.push({ mode, kind: q.kind, query: q.query, rank: at >= 0 ? at + 1 : null, top: hits[0]?.payload.text.slice(0, 80) ?? '(nothing)' });
    }
  }
  const rows = SEARCH_MODES.flatMap((mode) =>
    KINDS.map((kind): RecallRow => {
      const t = found.get(`${mode}/${kind}`)!;
      return { mode, kind, queries: t.hits, recallAt1: t.top1 / t.hits, recallAt5: t.top5 / t.hits };
    }),
  );
  return { embeddingModel: embedder.model, documents: set.documents.length, chunks, rows, misses };
}

/** The report as a plain-text table, one line per mode and kind of query. */
export function formatRetrievalReport(report: RetrievalReport): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`.padStart(8);
  const lines = [
    `retrieval evaluation: ${report.documents} documents, ${report.chunks} chunks, embeddings ${report.embeddingModel}`,
    '',
    `${'mode'.padEnd(9)}${'queries'.padEnd(12)}${'n'.padStart(4)}${'recall@1'.padStart(10)}${'recall@5'.padStart(10)}`,
    ...report.rows.map((r) => `${r.mode.padEnd(9)}${r.kind.padEnd(12)}${String(r.queries).padStart(4)}  ${pct(r.recallAt1)}  ${pct(r.recallAt5)}`),
  ];
  return lines.join('\n');
}
