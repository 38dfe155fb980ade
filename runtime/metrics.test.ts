import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.js';

/** The value of one sample line, e.g. `docflow_documents_indexed_total` or `x{a="b"}`; undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('docflow metrics registry', () => {
  it('exposes every docflow metric with the series that must exist before anything happens', async () => {
    const { body, contentType } = await createMetrics({ processMetrics: false }).render();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const name of [
      'docflow_http_requests_total',
      'docflow_http_request_duration_seconds',
      'docflow_upload_files_accepted_total',
      'docflow_upload_files_rejected_total',
      'docflow_step_duration_seconds',
      'docflow_step_failures_total',
      'docflow_documents_indexed_total',
      'docflow_document_failures_total',
      'docflow_embedding_tokens_total',
      'docflow_embedding_rate_limited_total',
    ]) {
      expect(body).toContain(`# TYPE ${name} `);
    }
    expect(sample(body, 'docflow_step_duration_seconds_count{step="prepare"}')).toBe(0);
    expect(sample(body, 'docflow_step_duration_seconds_count{step="index"}')).toBe(0);
    expect(sample(body, 'docflow_document_failures_total{code="corrupt"}')).toBe(0);
    expect(sample(body, 'docflow_documents_indexed_total')).toBe(0);
    expect(body).not.toMatch(/tenant/i);
  });

  it('counts requests by method, route pattern and status, and folds unknown methods into "other"', async () => {
    const m = createMetrics({ processMetrics: false });
    m.http.observeRequest('GET', '/api/batches/:batchId', 200, 0.02);
    m.http.observeRequest('GET', '/api/batches/:batchId', 200, 0.03);
    m.http.observeRequest('BREW', '/api/*', 404, 0.001);
    const { body } = await m.render();
    expect(sample(body, 'docflow_http_requests_total{method="GET",route="/api/batches/:batchId",status="200"}')).toBe(2);
    expect(sample(body, 'docflow_http_requests_total{method="other",route="/api/*",status="404"}')).toBe(1);
    expect(sample(body, 'docflow_http_request_duration_seconds_count{method="GET",route="/api/batches/:batchId"}')).toBe(2);
  });

  it('counts uploads, step attempts, failures by code and documents by outcome', async () => {
    const m = createMetrics({ processMetrics: false });
    m.http.countUploads(2, ['empty_file', 'unsupported_type', 'empty_file']);
    m.activities.stepFinished('parse', 0.5, null);
    m.activities.stepFinished('parse', 0.1, 'corrupt');
    m.activities.stepFinished('embed', 1.5, 'internal_error');
    m.activities.documentsFinished([
      { status: 'indexed', error: null },
      { status: 'indexed', error: null },
      { status: 'failed', error: { code: 'corrupt', message: 'bad xref' } },
      { status: 'cancelled', error: { code: 'cancelled', message: 'stopped' } },
      { status: 'skipped', error: null },
    ]);
    m.embedder.tokensUsed(120);
    m.embedder.tokensUsed(30);
    m.embedder.rateLimitAbsorbed();
    const { body } = await m.render();
    expect(sample(body, 'docflow_upload_files_accepted_total')).toBe(2);
    expect(sample(body, 'docflow_upload_files_rejected_total{code="empty_file"}')).toBe(2);
    expect(sample(body, 'docflow_step_duration_seconds_count{step="parse"}')).toBe(2);
    expect(sample(body, 'docflow_step_duration_seconds_sum{step="parse"}')).toBeCloseTo(0.6);
    expect(sample(body, 'docflow_step_failures_total{step="parse",code="corrupt"}')).toBe(1);
    expect(sample(body, 'docflow_step_failures_total{step="embed",code="internal_error"}')).toBe(1);
    expect(sample(body, 'docflow_documents_indexed_total')).toBe(2);
    expect(sample(body, 'docflow_document_failures_total{code="corrupt"}')).toBe(1);
    // A cancel is not a failure.
    expect(sample(body, 'docflow_document_failures_total{code="cancelled"}')).toBe(0);
    expect(sample(body, 'docflow_embedding_tokens_total')).toBe(150);
    expect(sample(body, 'docflow_embedding_rate_limited_total')).toBe(1);
  });

  it('keeps registries apart, so several apps can live in one process', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.embedder.tokensUsed(5);
    expect(sample((await a.render()).body, 'docflow_embedding_tokens_total')).toBe(5);
    expect(sample((await b.render()).body, 'docflow_embedding_tokens_total')).toBe(0);
    // Process metrics are on by default, prefixed like everything else.
    expect((await a.render()).body).toContain('docflow_process_cpu_user_seconds_total');
  });
});
