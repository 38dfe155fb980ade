/**
 * The benchmark's measurements, each on the real stack (or, for the baselines, on the same
 * functions without it): one call is one round; bench/run.ts alternates and takes medians.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Client, Connection } from '@temporalio/client';
import { createParsePool } from '../activities/parse-pool/pool.js';
import { DEFAULT_PARSE_LIMITS } from '../activities/parsers/index.js';
import type { Embedder } from '../adapters/embedder.js';
import type { VectorStore } from '../adapters/vector-store.js';
import { chunkDocument, DEFAULT_CHUNK_OPTIONS } from '../core/chunking.js';
import type { DocFormat } from '../core/formats.js';
import type { UploadFile } from '../test/http.js';
import { DEFAULT_FAN_OUT } from '../workflows/definitions.js';
import { followBatch, type FollowResult } from './follow.js';
import { runRaw, type RawDocument } from './raw-pipeline.js';

/** Where the orchestrated runs go: the stack's API, its key, its Temporal. */
export interface Target {
  baseUrl: string;
  apiKey: string;
  temporalAddress: string;
}

/** Worker slots of the stack the benchmark starts (chaos/stack.ts): the raw loop gets the same. */
export const STACK_SLOTS = { parseActivities: 2, parseChildren: 2, indexActivities: 8 };

/** Builds the multipart body of one upload. */
function form(files: UploadFile[]): FormData {
  const body = new FormData();
  for (const f of files) body.append('files', new Blob([f.bytes as Uint8Array<ArrayBuffer>], { type: f.type ?? 'application/octet-stream' }), f.name);
  return body;
}

/** Uploads one batch; `reindex` so a corpus uploaded in an earlier round is indexed again, not skipped. */
export async function upload(target: Target, files: UploadFile[]): Promise<string> {
  const res = await fetch(`${target.baseUrl}/api/batches?reindex=true`, { method: 'POST', body: form(files), headers: { authorization: `Bearer ${target.apiKey}` } });
  const body = (await res.json()) as { batchId?: string; error?: unknown };
  if (res.status !== 202 || !body.batchId) throw new Error(`upload answered ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
  return body.batchId;
}

export interface OrchestratedRound {
  seconds: number;
  /** Where the time went, in seconds from the start: uploads answered, first document started, last document finished. */
  phases: { uploaded: number; firstStarted: number; lastFinished: number };
  documents: number;
  indexed: number;
  latenciesMs: number[];
  frameBytes: number[];
  batchIds: string[];
}

/**
 * Uploads every batch at once (as that many users would), follows each over SSE to `done`, with
 * `watchersPerBatch` more SSE clients on each; the time runs from the first upload to the last done.
 */
export async function orchestratedRound(target: Target, batches: UploadFile[][], watchersPerBatch: number, deadlineMs: number): Promise<OrchestratedRound> {
  const started = performance.now();
  const startedAt = Date.now();
  let uploaded = 0;
  const follows = await Promise.all(
    batches.map(async (files) => {
      const batchId = await upload(target, files);
      uploaded = Math.max(uploaded, (performance.now() - started) / 1000);
      const followers = Array.from({ length: 1 + watchersPerBatch }, () => followBatch(target.baseUrl, target.apiKey, batchId, deadlineMs));
      return { batchId, results: await Promise.all(followers) };
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const all: FollowResult[] = follows.flatMap((f) => f.results);
  const primaries = follows.map((f) => f.results[0]);
  const docs = primaries.flatMap((r) => r.view.documents);
  const since = (t: number | null) => (t === null ? NaN : (t - startedAt) / 1000);
  return {
    seconds,
    phases: {
      uploaded,
      firstStarted: Math.min(...docs.map((d) => since(d.startedAt)).filter(Number.isFinite)),
      lastFinished: Math.max(...docs.map((d) => since(d.finishedAt)).filter(Number.isFinite)),
    },
    documents: batches.reduce((n, b) => n + b.length, 0),
    indexed: primaries.reduce((n, r) => n + r.view.documents.filter((d) => d.status === 'indexed').length, 0),
    latenciesMs: all.flatMap((r) => r.latenciesMs),
    frameBytes: all.flatMap((r) => r.frameBytes),
    batchIds: follows.map((f) => f.batchId),
  };
}

const FORMAT_OF: Record<string, DocFormat> = { '.txt': 'txt', '.md': 'md', '.csv': 'csv', '.pdf': 'pdf', '.docx': 'docx', '.xlsx': 'xlsx', '.xls': 'xls' };

/** Writes a corpus to disk once, for the raw loop (the orchestrated run stores its own uploads). */
export function writeCorpus(dir: string, files: UploadFile[]): RawDocument[] {
  mkdirSync(dir, { recursive: true });
  return files.map((f) => {
    const file = path.join(dir, f.name);
    writeFileSync(file, f.bytes);
    return { documentId: randomUUID(), filename: f.name, path: file, format: FORMAT_OF[path.extname(f.name)] };
  });
}

/** Shards running at once when these batches run together: each gets its own lanes in the orchestrated run. */
export function shardsAtOnce(batches: UploadFile[][]): number {
  return batches.reduce((n, b) => n + Math.min(DEFAULT_FAN_OUT.shardsInFlight, Math.ceil(b.length / DEFAULT_FAN_OUT.shardSize)), 0);
}

/** One raw round with the lanes `shards` shards get in the orchestrated run, capped by the same worker slots. */
export async function rawRound(
  documents: RawDocument[],
  shards: number,
  deps: { embedder: Embedder; vectors: VectorStore; tenantId: string },
): Promise<{ seconds: number; chunks: number }> {
  const pool = createParsePool({ size: STACK_SLOTS.parseChildren, memoryLimitMb: 1024, timeoutMs: 120_000, limits: DEFAULT_PARSE_LIMITS });
  try {
    const started = performance.now();
    const { chunks } = await runRaw({
      tenantId: deps.tenantId,
      documents: documents.map((d) => ({ ...d, documentId: randomUUID() })),
      parser: pool,
      embedder: deps.embedder,
      vectors: deps.vectors,
      chunking: DEFAULT_CHUNK_OPTIONS,
      documentsPerGroup: DEFAULT_FAN_OUT.documentsPerGroup,
      groupLanes: Math.min(STACK_SLOTS.parseActivities, shards * DEFAULT_FAN_OUT.groupsInFlight),
      chunksPerStep: DEFAULT_FAN_OUT.chunksPerStep,
      chunksPerPack: DEFAULT_FAN_OUT.chunksPerPack,
      packLanes: Math.min(STACK_SLOTS.indexActivities, shards * DEFAULT_FAN_OUT.packsInFlight),
    });
    return { seconds: (performance.now() - started) / 1000, chunks };
  } finally {
    await pool.close();
  }
}

/**
 * The local model's ceiling: the same chunk texts embedded straight through the embedder at
 * the same concurrency, no parsing, no storing. Returns seconds.
 */
export async function rawEndpointRound(files: UploadFile[], embedder: Embedder, lanes: number): Promise<number> {
  const texts = files.flatMap((f) => chunkDocument({ format: 'txt', sections: [{ text: Buffer.from(f.bytes).toString('utf8') }] }, DEFAULT_CHUNK_OPTIONS).map((c) => c.text));
  const packs: string[][] = [];
  for (let i = 0; i < texts.length; i += DEFAULT_FAN_OUT.chunksPerPack) packs.push(texts.slice(i, i + DEFAULT_FAN_OUT.chunksPerPack));
  const started = performance.now();
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      for (let pack = packs.shift(); pack; pack = packs.shift()) await embedder.embed(pack, 'passage');
    }),
  );
  return (performance.now() - started) / 1000;
}

/** The longest history of any execution (batch, shards, continued runs) of these batches. */
export async function maxHistoryEvents(target: Target, batchIds: string[]): Promise<{ max: number; executions: number }> {
  const connection = await Connection.connect({ address: target.temporalAddress });
  try {
    const client = new Client({ connection });
    let max = 0;
    let executions = 0;
    for (const batchId of batchIds) {
      for await (const run of client.workflow.list({ query: `DocflowBatch = '${batchId}'` })) {
        const length = run.historyLength ?? (await client.workflow.getHandle(run.workflowId, run.runId).describe()).historyLength;
        max = Math.max(max, length);
        executions++;
      }
    }
    return { max, executions };
  } finally {
    await connection.close();
  }
}

/** Latencies (ms) of `count` uploads of `file`, `concurrency` at a time, to `url`. */
async function uploadLatencies(url: string, headers: Record<string, string>, files: UploadFile[], concurrency: number): Promise<number[]> {
  const queue = [...files];
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let file = queue.shift(); file; file = queue.shift()) {
        const started = performance.now();
        const res = await fetch(url, { method: 'POST', body: form([file]), headers });
        await res.arrayBuffer();
        if (res.status !== 202) throw new Error(`upload to ${url} answered ${res.status}`);
        latencies.push(performance.now() - started);
      }
    }),
  );
  return latencies;
}

/** A Node HTTP server that only streams each request body to a file: the floor for upload latency. */
export async function startRawUploadServer(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  mkdirSync(dir, { recursive: true });
  const server: Server = createServer((req, res) => {
    pipeline(req, createWriteStream(path.join(dir, randomUUID()))).then(
      () => {
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end('{}');
      },
      () => {
        res.writeHead(500);
        res.end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/upload`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** One A/B round of uploads: the API (`reindex`, so every file is a new document) and the raw server. */
export async function uploadRound(target: Target, raw: { url: string }, files: UploadFile[], concurrency: number): Promise<{ api: number[]; raw: number[] }> {
  const api = await uploadLatencies(`${target.baseUrl}/api/batches?reindex=true`, { authorization: `Bearer ${target.apiKey}` }, files, concurrency);
  const rawLatencies = await uploadLatencies(raw.url, {}, files, concurrency);
  return { api, raw: rawLatencies };
}

/** Parse throughput (documents/s) of a pool with `size` children over `documents`. */
export async function parseRate(documents: RawDocument[], size: number): Promise<number> {
  const pool = createParsePool({ size, memoryLimitMb: 1024, timeoutMs: 120_000, limits: DEFAULT_PARSE_LIMITS });
  try {
    await pool.parse(documents[0].path, documents[0].format); // children started and parsers loaded before timing
    const started = performance.now();
    await Promise.all(documents.map((d) => pool.parse(d.path, d.format)));
    return documents.length / ((performance.now() - started) / 1000);
  } finally {
    await pool.close();
  }
}

/** Peak RSS (MB) of a parse child parsing one file, and how the parse ended. */
export async function parsePeakRss(file: string, format: DocFormat): Promise<{ peakMb: number; outcome: string }> {
  // The production cap (PARSE_MEMORY_MB) is 1024; a higher one here lets the real peak show.
  const pool = createParsePool({ size: 1, memoryLimitMb: 4096, timeoutMs: 600_000, limits: DEFAULT_PARSE_LIMITS, rssPollMs: 10 });
  try {
    const outcome = await pool.parse(file, format).then(
      (doc) => `parsed: ${doc.sections.length} sections`,
      (err: Error & { code?: string }) => `failed: ${err.code ?? ''} ${err.message}`.slice(0, 160),
    );
    return { peakMb: Math.round(pool.stats().peakRssMb), outcome };
  } finally {
    await pool.close();
  }
}
