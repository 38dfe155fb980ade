import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../runtime/metrics.js';
import { freeLoopbackPort, startWorkerMetricsServer, type WorkerMetricsServer } from './metrics-server.js';

const TOKEN = 'worker-metrics-token-42';
const SDK_TEXT =
  '# HELP temporal_worker_task_slots_available x\n# TYPE temporal_worker_task_slots_available gauge\ntemporal_worker_task_slots_available{worker_type="ActivityWorker"} 16\n';

const toClose: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (toClose.length) await toClose.pop()!();
});

/** Stands in for the Temporal SDK's loopback exporter, which only a real Runtime can start. */
async function fakeSdkExporter(): Promise<string> {
  const server: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(SDK_TEXT));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  toClose.push(() => new Promise((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
}

async function start(sdkMetricsUrl?: string): Promise<{ server: WorkerMetricsServer; metrics: ReturnType<typeof createMetrics> }> {
  const metrics = createMetrics({ processMetrics: false });
  const server = await startWorkerMetricsServer({ host: '127.0.0.1', port: 0, token: TOKEN, render: () => metrics.render(), sdkMetricsUrl, sdkTimeoutMs: 500 });
  toClose.push(() => server.close());
  return { server, metrics };
}

describe('worker metrics server', () => {
  it('serves docflow and Temporal SDK metrics together behind the bearer token', async () => {
    const { server, metrics } = await start(await fakeSdkExporter());
    metrics.activities.stepFinished('embed', 0.2, null);
    expect(server.port).toBeGreaterThan(0);
    const res = await fetch(server.url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const body = await res.text();
    expect(body).toContain('docflow_step_duration_seconds_count{step="embed"} 1');
    expect(body).toContain('temporal_worker_task_slots_available{worker_type="ActivityWorker"} 16');
    expect(body).toContain('docflow_temporal_sdk_metrics_up 1');
  });

  it('answers 401 without the token and 404 off /metrics', async () => {
    const { server } = await start();
    const denied = await fetch(server.url, { headers: { authorization: 'Bearer not-the-token-at-all' } });
    expect(denied.status).toBe(401);
    expect(await denied.text()).not.toContain('docflow_');
    expect((await fetch(server.url)).status).toBe(401);
    expect((await fetch(server.url.replace('/metrics', '/'), { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
  });

  it('still serves its own metrics when the SDK exporter is down, and says so', async () => {
    const { server } = await start(`http://127.0.0.1:${await freeLoopbackPort()}/metrics`);
    const res = await fetch(server.url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain('docflow_documents_indexed_total 0');
    expect(body).toContain('docflow_temporal_sdk_metrics_up 0');
  });

  it('refuses to start without a token', async () => {
    await expect(startWorkerMetricsServer({ host: '127.0.0.1', port: 0, token: '', render: async () => ({ contentType: 'text/plain', body: '' }) })).rejects.toThrow(
      /METRICS_TOKEN/,
    );
  });
});
