/**
 * Worker process: `tsx worker/main.ts --queue index|parse|all`. Builds the production
 * dependencies from the environment and runs until SIGINT/SIGTERM, then drains.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { createIndexActivities, createParseActivities } from '../activities/index.js';
import { createParsePool } from '../activities/parse-pool/pool.js';
import { DEFAULT_PARSE_LIMITS } from '../activities/parsers/index.js';
import { createFsBlobStore } from '../activities/adapters/blob-store.js';
import { loadConfig } from '../runtime/config.js';
import { openStores } from '../runtime/stores.js';
import { bundleWorkflows, createIndexWorker, createParseWorker } from './workers.js';
import path from 'node:path';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { queue: { type: 'string', default: 'all' }, concurrency: { type: 'string' } },
  });
  const queue = values.queue as string;
  if (!['index', 'parse', 'all'].includes(queue)) throw new Error(`--queue must be index, parse or all (got ${queue})`);
  // The SDK logs every worker state change at INFO; operators need warnings and errors.
  Runtime.install({ logger: new DefaultLogger((process.env.WORKER_LOG_LEVEL as 'INFO' | undefined) ?? 'WARN') });
  const config = loadConfig();
  if (!config.temporal.address) throw new Error('TEMPORAL_ADDRESS must be set for a worker');
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const identity = `${queue}@${os.hostname()}:${process.pid}`;
  const workers: Worker[] = [];
  const closers: (() => Promise<void>)[] = [];

  if (queue === 'parse' || queue === 'all') {
    const concurrency = Number(values.concurrency ?? config.parse.concurrency);
    const pool = createParsePool({ size: concurrency, memoryLimitMb: config.parse.memoryMb, timeoutMs: config.parse.timeoutMs, limits: DEFAULT_PARSE_LIMITS });
    closers.push(() => pool.close());
    const blobs = createFsBlobStore(path.join(config.dataDir, 'files'));
    const activities = createParseActivities({ blobs, parser: pool, chunking: config.chunking });
    workers.push(await createParseWorker({ connection, namespace: config.temporal.namespace, identity, concurrency, activities, taskQueue: config.temporal.queues.parse }));
  }
  if (queue === 'index' || queue === 'all') {
    const stores = await openStores(config);
    closers.push(() => stores.close());
    const activities = createIndexActivities(stores);
    const workflowBundle = await bundleWorkflows();
    const concurrency = Number(values.concurrency ?? config.indexConcurrency);
    workers.push(await createIndexWorker({ connection, namespace: config.temporal.namespace, identity, concurrency, activities, workflowBundle, taskQueue: config.temporal.queues.index }));
  }

  // Worker.runUntil-style shutdown: Temporal's SDK installs SIGINT/SIGTERM handlers that drain.
  console.log(JSON.stringify({ msg: 'worker started', queue, identity }));
  await Promise.all(workers.map((w) => w.run()));
  for (const close of closers) await close();
  await connection.close();
  console.log(JSON.stringify({ msg: 'worker stopped', queue, identity }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
