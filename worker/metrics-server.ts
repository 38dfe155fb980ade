/**
 * The worker's `/metrics` endpoint: docflow's own registry followed by the Temporal SDK's
 * metrics. The SDK (Rust core) serves its Prometheus text on a loopback port without any
 * authentication, so that port is never published: this server fetches it on every scrape and
 * serves both behind METRICS_TOKEN, the same bearer token as the API's `/metrics`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { scrapeDecision } from '../api/metrics.js';
import type { Logger } from '../core/logger.js';

export interface WorkerMetricsServerOptions {
  host: string;
  /** 0 picks a free port; read it back from the result. */
  port: number;
  /** Required bearer token; the server refuses to start without one. */
  token: string;
  /** docflow's own registry. */
  render(): Promise<{ contentType: string; body: string }>;
  /** Where the Temporal SDK serves its metrics (`http://127.0.0.1:<port>/metrics`); omit to serve docflow's only. */
  sdkMetricsUrl?: string;
  /** How long a scrape waits for the SDK's text (default 2 s). */
  sdkTimeoutMs?: number;
  logger?: Logger;
}

export interface WorkerMetricsServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Appended after the SDK's text, so a scrape shows whether the SDK part is there. */
function sdkUpGauge(up: boolean): string {
  return [
    '# HELP docflow_temporal_sdk_metrics_up 1 when the Temporal SDK metrics were included in this scrape.',
    '# TYPE docflow_temporal_sdk_metrics_up gauge',
    `docflow_temporal_sdk_metrics_up ${up ? 1 : 0}`,
    '',
  ].join('\n');
}

async function fetchSdkMetrics(url: string, timeoutMs: number): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`Temporal SDK metrics answered HTTP ${res.status}`);
  return res.text();
}

/** Starts the server; resolves once it listens. */
export async function startWorkerMetricsServer(options: WorkerMetricsServerOptions): Promise<WorkerMetricsServer> {
  if (!options.token) throw new Error('the worker metrics endpoint needs METRICS_TOKEN (a bearer token of at least 16 characters)');
  const sdkTimeoutMs = options.sdkTimeoutMs ?? 2_000;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    if (scrapeDecision(req.headers.authorization, options.token).status !== 200) {
      res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer realm="metrics"' });
      res.end('send Authorization: Bearer <METRICS_TOKEN>\n');
      return;
    }
    const own = await options.render();
    let sdk = '';
    let sdkUp = false;
    if (options.sdkMetricsUrl) {
      try {
        sdk = await fetchSdkMetrics(options.sdkMetricsUrl, sdkTimeoutMs);
        if (sdk !== '' && !sdk.endsWith('\n')) sdk += '\n';
        sdkUp = true;
      } catch (err) {
        options.logger?.warn('temporal sdk metrics unavailable', { error: err });
      }
    }
    const body = own.body + (own.body.endsWith('\n') || own.body === '' ? '' : '\n') + sdk + (options.sdkMetricsUrl ? sdkUpGauge(sdkUp) : '');
    res.writeHead(200, { 'content-type': own.contentType, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      options.logger?.error('metrics scrape failed', { error: err });
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('metrics unavailable\n');
    });
  });
  // Scrapes are tiny; a slow or idle client must not hold a socket for long.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${hostForUrl}:${port}/metrics`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A free loopback port for the SDK's exporter (which cannot report the port it bound to). */
export async function freeLoopbackPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
