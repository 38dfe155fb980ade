/**
 * Worker process: `tsx worker/main.ts --queue index|parse|all [--concurrency N] [--identity NAME]`.
 * `--workflows FILE` bundles another workflows module instead of workflows/index.ts; it exists
 * for rehearsing a rolling deploy of changed workflow code (`npm run chaos`), not for operators.
 * Builds the production dependencies from the environment and runs until SIGINT/SIGTERM, then
 * drains: no new tasks, in-flight activities get WORKER_SHUTDOWN_GRACE (drain.ts) to finish.
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { createIndexActivities, createParseActivities } from '../activities/index.js';
import { createModelSwitchActivities } from '../activities/model-switch.js';
import { createParsePool } from '../activities/parse-pool/pool.js';
import { DEFAULT_PARSE_LIMITS } from '../activities/parsers/index.js';
import { loadConfig } from '../runtime/config.js';
import { temporalConnectionOptions } from '../runtime/temporal-connection.js';
import { openBlobStore, openStores } from '../runtime/stores.js';
import { bundleWorkflows, createIndexWorker, createParseWorker } from './workers.js';
import { setUpMaintenance } from './maintenance.js';
import { setUpWorkerTelemetry } from './telemetry.js';
import { parseShutdownGrace, parseWorkerIdentity, watchDrain } from './drain.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { queue: { type: 'string', default: 'all' }, concurrency: { type: 'string' }, identity: { type: 'string' }, workflows: { type: 'string' } },
  });
  const queue = values.queue as string;
  if (!['index', 'parse', 'all'].includes(queue)) throw new Error(`--queue must be index, parse or all (got ${queue})`);
  const config = loadConfig();
  const concurrencyFlag = values.concurrency === undefined ? undefined : Number(values.concurrency);
  if (concurrencyFlag !== undefined && !(Number.isInteger(concurrencyFlag) && concurrencyFlag > 0)) {
    throw new Error(`--concurrency must be a positive integer (got ${values.concurrency})`);
  }
  // JSON logger, metrics registry, and the Temporal Runtime (installed once, before any connection):
  // SDK logs at WARN through the JSON logger, SDK metrics exported when WORKER_METRICS_PORT is set.
  const { logger, metrics, startEndpoint } = await setUpWorkerTelemetry(config);
  const observers = { metrics: metrics.activities, logger };
  if (!config.temporal.address) throw new Error('TEMPORAL_ADDRESS must be set for a worker');
  // --identity or WORKER_IDENTITY names the process in workflow histories; the default is unique per process.
  const identity = parseWorkerIdentity(values.identity ?? process.env.WORKER_IDENTITY, `${queue}@${os.hostname()}:${process.pid}`);
  const shutdownGraceMs = parseShutdownGrace(process.env.WORKER_SHUTDOWN_GRACE);
  const connection = await NativeConnection.connect(temporalConnectionOptions(config));
  const workers: Worker[] = [];
  const closers: (() => Promise<void>)[] = [];
  // What both pools' workers are given alike.
  const shared = { connection, namespace: config.temporal.namespace, identity, shutdownGraceMs, observers };

  if (queue === 'parse' || queue === 'all') {
    const concurrency = concurrencyFlag ?? config.parse.concurrency;
    const pool = createParsePool({
      size: concurrency,
      memoryLimitMb: config.parse.memoryMb,
      timeoutMs: config.parse.timeoutMs,
      limits: { ...DEFAULT_PARSE_LIMITS, maxPages: config.parse.maxPdfPages, hiddenSheets: config.spreadsheets.hiddenSheets },
      ocr: config.parse.ocr,
    });
    closers.push(() => pool.close());
    const blobs = await openBlobStore(config);
    const activities = createParseActivities({ blobs, parser: pool, chunking: config.chunking });
    workers.push(await createParseWorker({ ...shared, concurrency, activities, taskQueue: config.temporal.queues.parse }));
  }
  if (queue === 'index' || queue === 'all') {
    const stores = await openStores(config, { embedderMetrics: metrics.embedder, logger });
    closers.push(() => stores.close());
    // Maintenance runs on the index pool; its schedules are created (or updated) here, at start.
    const maintenance = await setUpMaintenance(config, stores);
    closers.push(() => maintenance.close());
    if (maintenance.scheduleIds.length > 0) logger.info('schedules in place', { scheduleIds: maintenance.scheduleIds });
    const activities = { ...createIndexActivities(stores), ...createModelSwitchActivities(stores), ...maintenance.activities };
    const workflowBundle = await bundleWorkflows(values.workflows === undefined ? undefined : path.resolve(values.workflows));
    const concurrency = concurrencyFlag ?? config.indexConcurrency;
    workers.push(await createIndexWorker({ ...shared, concurrency, activities, workflowBundle, taskQueue: config.temporal.queues.index }));
  }

  const metricsServer = await startEndpoint();
  if (metricsServer) closers.push(() => metricsServer.close());
  logger.info('worker started', { queue, identity, shutdownGraceMs });
  // The SDK's Runtime drains on its shutdown signals (SIGINT, SIGTERM, ...); watchDrain only logs it.
  const drain = watchDrain({
    workers,
    signals: Runtime.instance().options.shutdownSignals,
    graceMs: shutdownGraceMs,
    log: (msg, fields) => logger.info(msg, { ...fields, queue, identity }),
  });
  await Promise.all(workers.map((w) => w.run()));
  drain.finished();
  for (const close of closers) await close();
  await connection.close();
  logger.info('worker stopped', { queue, identity });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
