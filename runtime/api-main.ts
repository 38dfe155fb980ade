/**
 * API process entry: builds the production dependencies and serves the Hono app on one origin.
 * This is a composition root, so it may import from every layer; the layers themselves may not.
 */
import { serve } from '@hono/node-server';
import { createApp } from '../api/app.js';
import { createTemporalGateway } from '../api/temporal-gateway.js';
import { detectAndInspect } from '../activities/parsers/detect.js';
import { loadConfig } from './config.js';
import { openStores } from './stores.js';
import { connectTemporalClient } from './temporal-connection.js';
import { ensureDevTenant } from './dev-tenant.js';
import { loadSessionSecret } from './session-secret.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const stores = await openStores(config);
  const client = await connectTemporalClient(config);
  await ensureDevTenant(stores.catalog, config.dataDir);
  const app = createApp({
    ...stores,
    temporal: createTemporalGateway(client, config.temporal.queues),
    inspectFile: detectAndInspect,
    limits: config.limits,
    sessions: { secret: loadSessionSecret(config.sessions.secret, config.dataDir), ttlSeconds: config.sessions.ttlSeconds, cookieSecure: config.sessions.cookieSecure },
    rateLimit: config.rateLimit,
    corsOrigins: config.corsOrigins,
    contentSecurityPolicy: config.contentSecurityPolicy,
  });
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
    console.log(JSON.stringify({ level: 'info', msg: 'api listening', url: `http://${config.host}:${info.port}` }));
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
