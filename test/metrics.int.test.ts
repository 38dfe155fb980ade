/**
 * `/metrics` scraped around a real batch: the per-step histograms, documents indexed, the failure
 * counter of the broken file's reason code and the HTTP counters must all move, on the API's
 * endpoint (in-process stack) and on a real worker process's endpoint, which also carries the
 * Temporal SDK's own metrics.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../runtime/metrics.js';
import { makeText } from './fixtures/documents.js';
import { uploadBatch, waitForBatch } from './http.js';
import { startStack, type Stack } from './stack.js';

const REPO = path.resolve(import.meta.dirname, '..');
const TOKEN = 'integration-metrics-token-7f3a';

/** Value of one series in a text exposition (0 when absent, as Prometheus would treat a new series). */
function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

async function scrape(url: string, token = TOKEN): Promise<string> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return res.text();
}

/** Scrapes until `ready` holds: outcomes are recorded by an activity that may finish just after the batch view does. */
async function scrapeUntil(url: string, ready: (text: string) => boolean, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await scrape(url);
    if (ready(text) || Date.now() > deadline) return text;
    await new Promise((r) => setTimeout(r, 250));
  }
}

const goodFile = () => ({
  name: 'good.txt',
  bytes: makeText(Array.from({ length: 8 }, (_, i) => `Paragraph ${i} about metrics and counters: ${'observable systems report numbers '.repeat(20)}`).join('\n\n')),
});
/** Starts with %PDF- so the API accepts it; the parser finds no objects: reason code `corrupt`. */
const brokenFile = () => ({ name: 'broken.pdf', bytes: Buffer.from('%PDF-1.7\n', 'latin1') });

/** The pipeline's activities: prepare (parse and chunk a group), index (embed and upsert a pack). */
const STEPS = ['prepare', 'index'] as const;

describe('API /metrics around a batch (in-process workers)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ metrics: { registry: createMetrics(), token: TOKEN } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('refuses a scrape without the metrics token, or with a tenant key', async () => {
    expect((await fetch(`${stack.baseUrl}/metrics`)).status).toBe(401);
    expect((await fetch(`${stack.baseUrl}/metrics`, { headers: { authorization: `Bearer ${stack.apiKey}` } })).status).toBe(401);
  });

  it('shows per-step durations, documents indexed, failures by code and requests moving', async () => {
    const url = `${stack.baseUrl}/metrics`;
    const before = await scrape(url);

    const upload = await uploadBatch(stack.baseUrl, stack.apiKey, [goodFile(), brokenFile()]);
    expect(upload.status).toBe(202);
    const view = await waitForBatch(stack.baseUrl, stack.apiKey, upload.body.batchId);
    expect(view.documents.map((d) => [d.filename, d.status, d.error?.code ?? null]).sort()).toEqual([
      ['broken.pdf', 'failed', 'corrupt'],
      ['good.txt', 'indexed', null],
    ]);

    const after = await scrapeUntil(url, (t) => value(t, 'docflow_documents_indexed_total') > value(before, 'docflow_documents_indexed_total'));
    const grew = (series: string) => value(after, series) - value(before, series);

    // Both files were prepared (one failed at parse, counted under that step); only the good one was indexed.
    for (const step of STEPS) expect(grew(`docflow_step_duration_seconds_count{step="${step}"}`), step).toBeGreaterThanOrEqual(1);
    for (const step of STEPS) expect(grew(`docflow_step_duration_seconds_sum{step="${step}"}`), step).toBeGreaterThan(0);
    expect(grew('docflow_step_failures_total{step="parse",code="corrupt"}')).toBe(1);
    expect(grew('docflow_documents_indexed_total')).toBe(1);
    expect(grew('docflow_document_failures_total{code="corrupt"}')).toBe(1);
    expect(grew('docflow_document_failures_total{code="internal_error"}')).toBe(0);
    expect(grew('docflow_embedding_tokens_total')).toBeGreaterThan(0);
    expect(grew('docflow_upload_files_accepted_total')).toBe(2);
    expect(grew('docflow_http_requests_total{method="POST",route="/api/batches",status="202"}')).toBe(1);
    expect(grew('docflow_http_requests_total{method="GET",route="/api/batches/:batchId",status="200"}')).toBeGreaterThanOrEqual(1);
    expect(after).not.toContain(upload.body.batchId);
  });
});

describe('worker process /metrics', () => {
  let stack: Stack;
  let worker: ChildProcess | undefined;
  let workerMetricsUrl: string;

  beforeAll(async () => {
    stack = await startStack({ withoutWorkers: true });
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'worker/main.ts'), '--queue', 'all'], {
      env: {
        ...stack.workerEnv,
        METRICS_TOKEN: TOKEN,
        WORKER_METRICS_PORT: '0',
        WORKER_METRICS_HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        PARSE_CONCURRENCY: '1',
        INDEX_CONCURRENCY: '4',
      },
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker = child;
    child.stderr?.on('data', (d) => process.stderr.write(`[worker ${child.pid}] ${d}`));
    // The worker prints its metrics URL (port 0 = a free port) as a JSON log line.
    workerMetricsUrl = await new Promise<string>((resolve, reject) => {
      let buffered = '';
      const timer = setTimeout(() => reject(new Error(`worker printed no metrics URL: ${buffered.slice(-2000)}`)), 90_000);
      child.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${buffered.slice(-2000)}`)));
      child.stdout?.on('data', (d: Buffer) => {
        buffered += d.toString('utf8');
        for (const line of buffered.split('\n')) {
          if (!line.startsWith('{')) continue;
          try {
            const parsed = JSON.parse(line) as { msg?: string; url?: string };
            if (parsed.msg === 'worker metrics listening' && parsed.url) {
              clearTimeout(timer);
              resolve(parsed.url);
            }
          } catch {
            // a partial line; the rest comes with the next chunk
          }
        }
      });
    });
  }, 120_000);
  afterAll(async () => {
    if (worker && worker.exitCode === null) {
      const exited = new Promise((resolve) => worker!.once('exit', resolve));
      worker.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
      if (worker.exitCode === null) worker.kill('SIGKILL');
    }
    await stack?.close();
  });

  it('serves the worker counters and the Temporal SDK metrics behind the token', async () => {
    expect(new URL(workerMetricsUrl).hostname).toBe('127.0.0.1');
    expect((await fetch(workerMetricsUrl)).status).toBe(401);
    const before = await scrape(workerMetricsUrl);

    const upload = await uploadBatch(stack.baseUrl, stack.apiKey, [goodFile(), brokenFile()]);
    expect(upload.status).toBe(202);
    const view = await waitForBatch(stack.baseUrl, stack.apiKey, upload.body.batchId);
    expect(view.status).toBe('completed_with_errors');

    const after = await scrapeUntil(workerMetricsUrl, (t) => value(t, 'docflow_documents_indexed_total') > value(before, 'docflow_documents_indexed_total'));
    const grew = (series: string) => value(after, series) - value(before, series);
    expect(grew('docflow_documents_indexed_total')).toBe(1);
    expect(grew('docflow_document_failures_total{code="corrupt"}')).toBe(1);
    for (const step of STEPS) expect(grew(`docflow_step_duration_seconds_count{step="${step}"}`), step).toBeGreaterThanOrEqual(1);
    expect(grew('docflow_embedding_tokens_total')).toBeGreaterThan(0);
    // The SDK's own metrics, fetched from its private loopback exporter and served here.
    expect(value(after, 'docflow_temporal_sdk_metrics_up')).toBe(1);
    expect(after).toMatch(/^temporal_\w+/m);
    expect(after).toMatch(/^docflow_process_resident_memory_bytes /m);
  }, 240_000);
});
