/**
 * An in-process docflow stack for integration tests: the real Temporal dev server and embedding
 * server started by the global setup, real workers and activities, LanceDB and SQLite in a
 * fresh temp dir (files and vectors in an S3 store when S3_* is set), the parse pool, and the Hono app on a real HTTP port. Each stack uses its own
 * task queues, so leftovers from another test file can never be picked up.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createJsonLogger, parseLogLevel } from '../core/logger.js';
import { createApp } from '../api/app.js';
import { createTemporalGateway, type TaskQueues } from '../api/temporal-gateway.js';
import { createFsBlobStore, type BlobStore } from '../adapters/blob-store.js';
import type { Catalog } from '../adapters/catalog.js';
import type { Embedder } from '../adapters/embedder.js';
import { createLanceDbStore } from '../adapters/lancedb-store.js';
import { createOpenAiEmbedder } from '../adapters/openai-embedder.js';
import { createSqliteCatalog } from '../adapters/sqlite-catalog.js';
import type { VectorStore } from '../adapters/vector-store.js';
import { createTenantSpaces, modelSet, spaceRoutedStore, type TenantSpaces } from '../adapters/index-spaces.js';
import { createModelSwitchActivities } from '../activities/model-switch.js';
import { createIndexActivities, createParseActivities, type DocumentParser } from '../activities/index.js';
import type { IndexActivities, MaintenanceActivities } from '../activities/contracts.js';
import { createTemporalRunInspector } from '../adapters/temporal-runs.js';
import { createMaintenanceActivities } from '../activities/maintenance/index.js';
import { createEndedRunSettler } from '../runtime/ended-runs.js';
import { createParsePool, type ParsePoolOptions, type ParsePoolStats } from '../activities/parse-pool/pool.js';
import { DEFAULT_PARSE_LIMITS } from '../activities/parsers/index.js';
import { detectAndInspect } from '../activities/parsers/detect.js';
import { ensureDevTenant } from '../runtime/dev-tenant.js';
import type { DocflowMetrics } from '../runtime/metrics.js';
import { loadSessionSecret } from '../runtime/session-secret.js';
import { loadConfig, type AppConfig } from '../runtime/config.js';
import { lanceDbLocation, openBlobStore } from '../runtime/stores.js';
import type { FanOutOptions } from '../workflows/definitions.js';
import { bundleWorkflows, createIndexWorker, createParseWorker } from '../worker/workers.js';
import { testEnv } from './env.js';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** The workflow bundle is built once per test file and shared by its workers. */
export function sharedBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflows();
  return bundle;
}

export interface StackOptions {
  /** Wraps the real index activities, e.g. to inject failures. */
  wrapIndexActivities?: (real: IndexActivities) => IndexActivities;
  /** Wrap the real parser pool / embedder used by the workers, e.g. to count calls. */
  wrapParser?: (real: DocumentParser) => DocumentParser;
  wrapEmbedder?: (real: Embedder) => Embedder;
  fanOut?: Partial<FanOutOptions>;
  /** Start no in-process workers (a test runs worker processes itself). */
  withoutWorkers?: boolean;
  /** Opens the catalog (e.g. PostgreSQL); default: SQLite in the stack's data dir. Closed by close(). */
  catalog?: () => Promise<Catalog>;
  /** A metrics registry for the app, the in-process activities and the embedder, and the `/metrics` token. */
  metrics?: { registry: DocflowMetrics; token?: string };
  /** Models tenants may switch to besides the real default one (an embedding-model switch test). */
  otherModels?: Embedder[];
  /** How long a model switch keeps the replaced collection (the workflow's default when unset). */
  modelSwitchRetireAfterMs?: number;
  /** Serve this built web app (e.g. ui/build) on the API's origin, as production does. */
  uiDir?: string;
  /** Parse pool limits other than the stack's defaults (768 MB, 60 s), e.g. the production ones. */
  parsePool?: Partial<Pick<ParsePoolOptions, 'memoryLimitMb' | 'timeoutMs'>>;
}

export interface Stack {
  /** Files and vectors are in the S3 store named by the S3_* environment, not in dataDir. */
  onObjectStore: boolean;
  baseUrl: string;
  apiKey: string;
  dataDir: string;
  queues: TaskQueues;
  catalog: Catalog;
  blobs: BlobStore;
  /** Routed by index space, as the processes see it. */
  vectors: VectorStore;
  embedder: Embedder;
  spaces: TenantSpaces;
  client: Client;
  /** The maintenance activities over this stack's stores, to call directly. */
  maintenance: MaintenanceActivities;
  /** Environment for a worker process that should join this stack. */
  workerEnv: NodeJS.ProcessEnv;
  /** The in-process parse pool's counters (peak RSS of its children, kills). */
  parsePoolStats: () => ParsePoolStats;
  stopWorkers(): Promise<void>;
  /** Cuts every open connection to the API (SSE streams included), as a network drop would. */
  dropConnections(): void;
  close(): Promise<void>;
}

/** Log level of the stacks' API and in-process workers; TEST_LOG_LEVEL=info shows every request. */
const testLogLevel = parseLogLevel(process.env.TEST_LOG_LEVEL ?? 'warn');

/** The SDK logs every worker state change at INFO; tests keep its warnings only (once per test file). */
function quietSdkLogs(): void {
  try {
    Runtime.install({ logger: new DefaultLogger(testLogLevel === 'debug' ? 'DEBUG' : testLogLevel === 'info' ? 'INFO' : 'WARN') });
  } catch {
    // already installed in this test file's process
  }
}

/**
 * With S3_BUCKET (and the other S3_* settings) in the environment, e.g. from `npm run seaweedfs`,
 * a stack keeps its uploads, artifacts and LanceDB tables in that store, as the processes do, each
 * stack under a prefix of its own so runs sharing a bucket never meet.
 */
function objectStoreConfig(dataDir: string, suffix: string): AppConfig | undefined {
  if (!process.env.S3_BUCKET) return undefined;
  const s3Env = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('S3_')));
  const prefix = [process.env.S3_PREFIX?.replace(/\/+$/, ''), `test-${suffix}`].filter(Boolean).join('/');
  return loadConfig({ ...s3Env, S3_PREFIX: prefix, DATA_DIR: dataDir });
}

/** Starts a stack; call close() in afterAll. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  quietSdkLogs();
  const env = testEnv();
  const dataDir = path.join(env.TEST_DATA_DIR, `stack-${randomUUID().slice(0, 8)}`);
  mkdirSync(dataDir, { recursive: true });
  const suffix = randomUUID().slice(0, 8);
  const queues: TaskQueues = { index: `test-index-${suffix}`, parse: `test-parse-${suffix}` };

  const catalog = options.catalog ? await options.catalog() : createSqliteCatalog(path.join(dataDir, 'catalog.sqlite'));
  const objectStore = objectStoreConfig(dataDir, suffix);
  const blobs = objectStore ? await openBlobStore(objectStore) : createFsBlobStore(path.join(dataDir, 'files'));
  const baseVectors = await createLanceDbStore(objectStore ? lanceDbLocation(objectStore) : { dir: path.join(dataDir, 'vectors') });
  const embedder = createOpenAiEmbedder({ baseURL: env.EMBEDDINGS_BASE_URL, model: env.EMBEDDINGS_MODEL, metrics: options.metrics?.registry.embedder });
  const workerEmbedder = options.wrapEmbedder ? options.wrapEmbedder(embedder) : embedder;
  // The API and the workers see the same spaces; only the workers' default embedder may be wrapped.
  const spaces = createTenantSpaces({ catalog, vectors: baseVectors, models: modelSet(embedder, options.otherModels ?? []) });
  const workerSpaces = createTenantSpaces({ catalog, vectors: baseVectors, models: modelSet(workerEmbedder, options.otherModels ?? []) });
  const vectors = spaceRoutedStore(baseVectors, spaces);
  const observers = { metrics: options.metrics?.registry.activities };
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
  const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });

  // The scheduled maintenance, callable directly by tests and served by the stack's index worker.
  const maintenance = createMaintenanceActivities({
    catalog,
    vectors,
    blobs,
    spaces,
    runs: createTemporalRunInspector(client),
    retention: { artifactDays: 7, uploadDays: null },
  });

  const workers: Worker[] = [];
  const running: Promise<void>[] = [];
  let nativeConnection: NativeConnection | undefined;
  // OCR on with the production defaults (OCR_LANGUAGES eng+ita, OCR_MIN_CONFIDENCE 60).
  const pool = createParsePool({
    size: 2,
    memoryLimitMb: 768,
    timeoutMs: 60_000,
    limits: DEFAULT_PARSE_LIMITS,
    ocr: { enabled: true, languages: 'eng+ita', minConfidence: 60 },
    ...options.parsePool,
  });
  if (!options.withoutWorkers) {
    nativeConnection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS });
    const workerVectors = spaceRoutedStore(baseVectors, workerSpaces);
    const real = createIndexActivities({ blobs, catalog, vectors: workerVectors, spaces: workerSpaces, heartbeatMs: 1_000 });
    const modelSwitch = createModelSwitchActivities({ catalog, vectors: workerVectors, spaces: workerSpaces });
    const withMaintenance = (index: IndexActivities) => ({ ...index, ...modelSwitch, ...maintenance });
    // A short drain: tests close stacks with steps still running, and the workflows retry them anyway.
    const common = { connection: nativeConnection, namespace: env.TEMPORAL_NAMESPACE, shutdownGraceMs: 2_000, observers };
    workers.push(
      await createIndexWorker({
        ...common,
        taskQueue: queues.index,
        concurrency: 16,
        activities: withMaintenance(options.wrapIndexActivities ? options.wrapIndexActivities(real) : real),
        workflowBundle: await sharedBundle(),
      }),
      await createParseWorker({
        ...common,
        taskQueue: queues.parse,
        concurrency: 2,
        activities: createParseActivities({
          blobs,
          parser: options.wrapParser ? options.wrapParser(pool) : pool,
          chunking: { maxTokens: 120, overlapTokens: 20 },
          heartbeatMs: 1_000,
        }),
      }),
    );
    for (const w of workers) running.push(w.run());
  }

  const apiKey = await ensureDevTenant(catalog, dataDir);
  const app = createApp({
    catalog,
    blobs,
    vectors,
    embedder,
    spaces,
    temporal: createTemporalGateway(client, queues, undefined, { modelSwitchRetireAfterMs: options.modelSwitchRetireAfterMs }),
    settleEndedRun: createEndedRunSettler({ catalog, vectors, client }),
    logger: createJsonLogger({ level: testLogLevel }),
    inspectFile: detectAndInspect,
    limits: { maxFileBytes: 50 * 1024 * 1024, maxRequestBytes: 200 * 1024 * 1024, maxFilesPerBatch: 100, maxTextFileBytes: 10 * 1024 * 1024 },
    ssePollMs: 200,
    fanOut: options.fanOut,
    sessions: { secret: loadSessionSecret(undefined, dataDir) },
    metrics: options.metrics?.registry.http,
    metricsToken: options.metrics?.token,
    uiDir: options.uiDir,
    temporalUi: { baseUrl: 'http://127.0.0.1:8233', namespace: env.TEMPORAL_NAMESPACE },
  });
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;

  let workersStopped = false;
  const stopWorkers = async () => {
    if (workersStopped) return;
    workersStopped = true;
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await Promise.allSettled(running);
    await nativeConnection?.close();
  };

  return {
    onObjectStore: objectStore !== undefined,
    baseUrl: `http://127.0.0.1:${port}`,
    apiKey,
    dataDir,
    queues,
    catalog,
    blobs,
    vectors,
    embedder,
    spaces,
    client,
    maintenance,
    parsePoolStats: () => pool.stats(),
    workerEnv: {
      ...process.env,
      DATA_DIR: dataDir,
      TEMPORAL_ADDRESS: env.TEMPORAL_ADDRESS,
      TEMPORAL_NAMESPACE: env.TEMPORAL_NAMESPACE,
      EMBEDDINGS_BASE_URL: env.EMBEDDINGS_BASE_URL,
      EMBEDDINGS_MODEL: env.EMBEDDINGS_MODEL,
      INDEX_TASK_QUEUE: queues.index,
      PARSE_TASK_QUEUE: queues.parse,
      CHUNK_MAX_TOKENS: '120',
      CHUNK_OVERLAP_TOKENS: '20',
      // Schedules are per namespace; test workers must not repoint the shared ones at their queues.
      SCHEDULES: 'false',
      ...(objectStore ? { S3_PREFIX: objectStore.s3!.prefix } : {}),
    },
    stopWorkers,
    dropConnections: () => (server as import('node:http').Server).closeAllConnections(),
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await stopWorkers();
      await pool.close();
      await connection.close();
      await vectors.close();
      await catalog.close();
    },
  };
}
