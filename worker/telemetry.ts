/**
 * A worker process's logs and metrics, set up before anything talks to Temporal: the JSON
 * logger, the metrics registry, and the SDK Runtime (installable once per process, before the
 * first connection) with its logger routed through the JSON logger and, when the worker
 * metrics endpoint is on, its Prometheus exporter on a private loopback port.
 */
import { Runtime, type LogLevel as TemporalLogLevel } from '@temporalio/worker';
import type { Logger } from '../core/logger.js';
import type { AppConfig } from '../runtime/config.js';
import { createProcessLogger, logProcessWarnings, temporalRuntimeLogger } from '../runtime/logger.js';
import { createMetrics, type DocflowMetrics } from '../runtime/metrics.js';
import { freeLoopbackPort, startWorkerMetricsServer, type WorkerMetricsServer } from './metrics-server.js';

export interface WorkerTelemetry {
  logger: Logger;
  metrics: DocflowMetrics;
  /** Starts `/metrics` when WORKER_METRICS_PORT and METRICS_TOKEN are set; undefined when it is off. */
  startEndpoint(): Promise<WorkerMetricsServer | undefined>;
}

const TEMPORAL_LEVELS: readonly TemporalLogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/** WORKER_LOG_LEVEL sets the SDK's own verbosity (default WARN: it logs every state change at INFO). */
function sdkLogLevel(value: string | undefined): TemporalLogLevel {
  if (value === undefined || value.trim() === '') return 'WARN';
  const level = value.trim().toUpperCase() as TemporalLogLevel;
  if (!TEMPORAL_LEVELS.includes(level)) throw new Error(`WORKER_LOG_LEVEL must be one of ${TEMPORAL_LEVELS.join(', ')} (got ${value})`);
  return level;
}

/** Installs the Temporal Runtime; call once, first thing in the worker process. */
export async function setUpWorkerTelemetry(config: AppConfig, env: NodeJS.ProcessEnv = process.env): Promise<WorkerTelemetry> {
  const logger = createProcessLogger(config.logLevel, 'worker');
  logProcessWarnings(logger);
  const metrics = createMetrics();
  // Like the API's /metrics, the endpoint exists only with a token: never unauthenticated.
  const endpointOn = config.metrics.workerPort !== undefined && config.metrics.token !== undefined;
  if (config.metrics.workerPort !== undefined && !endpointOn) {
    logger.warn('worker metrics disabled: WORKER_METRICS_PORT is set but METRICS_TOKEN is not', { port: config.metrics.workerPort });
  }
  const sdkPort = endpointOn ? await freeLoopbackPort() : undefined;
  const sdkLevel = sdkLogLevel(env.WORKER_LOG_LEVEL);
  Runtime.install({
    logger: temporalRuntimeLogger(logger, sdkLevel),
    telemetryOptions: {
      // The native core prints its own colour-coded lines to the console unless they are
      // forwarded: forwarded, its warnings (e.g. while the server restarts) become JSON lines too.
      logging: { filter: { core: sdkLevel, other: 'ERROR' }, forward: {} },
      ...(sdkPort !== undefined ? { metrics: { prometheus: { bindAddress: `127.0.0.1:${sdkPort}` } } } : {}),
    },
  });
  return {
    logger,
    metrics,
    async startEndpoint() {
      if (!endpointOn) return undefined;
      const server = await startWorkerMetricsServer({
        host: config.metrics.workerHost,
        port: config.metrics.workerPort as number,
        token: config.metrics.token as string,
        render: () => metrics.render(),
        sdkMetricsUrl: `http://127.0.0.1:${sdkPort}/metrics`,
        logger,
      });
      logger.info('worker metrics listening', { url: server.url });
      return server;
    },
  };
}
