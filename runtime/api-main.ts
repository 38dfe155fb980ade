/**
 * API process entry: builds the production dependencies and serves the Hono app on one origin.
 * This is a composition root, so it may import from every layer; the layers themselves may not.
 */
import { serve } from '@hono/node-server';
import { createApp } from '../api/app.js';
import { createTemporalGateway } from '../api/temporal-gateway.js';
import { detectAndInspect } from '../activities/parsers/detect.js';
import { loadConfig } from './config.js';
import { createProcessLogger, logProcessWarnings } from './logger.js';
import { createMetrics } from './metrics.js';
import { openStores } from './stores.js';
import { connectTemporalClient } from './temporal-connection.js';
import { ensureDevTenant } from './dev-tenant.js';
import { createEndedRunSettler } from './ended-runs.js';
import { loadSessionSecret } from './session-secret.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createProcessLogger(config.logLevel, 'api');
  logProcessWarnings(logger);
  // One registry for this process: requests, uploads, search-query embedding tokens, process metrics.
  const metrics = createMetrics();
  const stores = await openStores(config, { embedderMetrics: metrics.embedder, logger });
  const client = await connectTemporalClient(config);
  if (config.demoTenant) await ensureDevTenant(stores.catalog, config.dataDir);
  const app = createApp({
    ...stores,
    temporal: createTemporalGateway(client, config.temporal.queues, logger),
    settleEndedRun: createEndedRunSettler({ catalog: stores.catalog, vectors: stores.vectors, client, logger }),
    inspectFile: detectAndInspect,
    limits: config.limits,
    sessions: { secret: loadSessionSecret(config.sessions.secret, config.dataDir), ttlSeconds: config.sessions.ttlSeconds, cookieSecure: config.sessions.cookieSecure },
    rateLimit: config.rateLimit,
    corsOrigins: config.corsOrigins,
    contentSecurityPolicy: config.contentSecurityPolicy,
    metrics: metrics.http,
    metricsToken: config.metrics.token,
    logger,
    uiDir: config.uiDir,
    temporalUi: { baseUrl: config.temporal.uiUrl, namespace: config.temporal.namespace },
  });
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
    logger.info('api listening', { url: `http://${config.host}:${info.port}`, metrics: config.metrics.token ? 'enabled' : 'disabled (METRICS_TOKEN unset)' });
  });
  const stop = async () => {
    server.close();
    await client.connection.close();
    await stores.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
