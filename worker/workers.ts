/**
 * Worker construction, separated from process start-up so tests can run the real workers
 * in-process against a real Temporal server with the activities they choose.
 */
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { INDEX_QUEUE, PARSE_QUEUE } from '../workflows/definitions.js';
import type { IndexActivities, MaintenanceActivities, ModelSwitchActivities, ParseActivities } from '../activities/contracts.js';
import { observeActivities, type ActivityObservers } from './activity-metrics.js';
import { DEFAULT_SHUTDOWN_GRACE_MS } from './drain.js';

/** Entry file of the workflow bundle. */
export const WORKFLOWS_ENTRY = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/**
 * Bundles the workflow code once; the bundle is reused by every worker of a process. `entry`
 * replaces the product's workflows module only where a rolling deploy of changed workflow code
 * is rehearsed (the fault-injection harness); everything else uses the default.
 */
export async function bundleWorkflows(entry: string = WORKFLOWS_ENTRY): Promise<WorkflowBundleWithSourceMap> {
  if (entry === WORKFLOWS_ENTRY) return bundleWorkflowCode({ workflowsPath: entry, logger: quietBundlerLogger });
  // A module elsewhere (a scratch directory) still gets the SDK from docflow's own dependencies.
  return bundleWorkflowCode({
    workflowsPath: entry,
    logger: quietBundlerLogger,
    webpackConfigHook: (config) => ({ ...config, resolve: { ...config.resolve, modules: [...(config.resolve?.modules ?? ['node_modules']), OWN_NODE_MODULES] } }),
  });
}

const OWN_NODE_MODULES = fileURLToPath(new URL('../node_modules', import.meta.url));

const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string, meta?: unknown) => console.warn(message, meta ?? ''),
  error: (message: string, meta?: unknown) => console.error(message, meta ?? ''),
};

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  identity?: string;
  /** Activities in flight in this process. */
  concurrency: number;
  /** After a shutdown request, how long in-flight activities may finish before they are cancelled (see drain.ts). */
  shutdownGraceMs?: number;
  /** Activity metrics and logs, installed as the worker's activity interceptor. */
  observers?: ActivityObservers;
}

/** Worker options both pools share. */
function common(opts: WorkerOptions) {
  return {
    connection: opts.connection,
    namespace: opts.namespace,
    ...(opts.identity ? { identity: opts.identity } : {}),
    maxConcurrentActivityTaskExecutions: opts.concurrency,
    shutdownGraceTime: opts.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS,
    ...(opts.observers ? { interceptors: { activity: [observeActivities(opts.observers)] } } : {}),
  };
}

/** The index pool: every workflow plus embed, upsert, catalog and (when given) model-switch and maintenance activities. */
export async function createIndexWorker(
  opts: WorkerOptions & {
    activities: IndexActivities & Partial<ModelSwitchActivities> & Partial<MaintenanceActivities>;
    workflowBundle: WorkflowBundleWithSourceMap;
    taskQueue?: string;
  },
): Promise<Worker> {
  return Worker.create({
    ...common(opts),
    taskQueue: opts.taskQueue ?? INDEX_QUEUE,
    workflowBundle: opts.workflowBundle,
    activities: opts.activities as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>,
  });
}

/** The parse pool: parse and chunk, which run in isolated child processes. */
export async function createParseWorker(opts: WorkerOptions & { activities: ParseActivities; taskQueue?: string }): Promise<Worker> {
  return Worker.create({
    ...common(opts),
    taskQueue: opts.taskQueue ?? PARSE_QUEUE,
    activities: opts.activities as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>,
  });
}
