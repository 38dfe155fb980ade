import { describe, expect, it } from 'vitest';
import { createMetrics } from '../runtime/metrics.js';
import { createJsonLogger } from '../core/logger.js';
import { bearerTokenMatches, scrapeDecision } from './metrics.js';
import { requestIdFrom } from './request-log.js';
import { createTestApp, oneFileForm } from './test-app.js';

const TOKEN = 'metrics-token-0123456789';

async function appWithMetrics(token: string | undefined = TOKEN) {
  const metrics = createMetrics({ processMetrics: false });
  const lines: string[] = [];
  const logger = createJsonLogger({ write: (l) => lines.push(l) });
  const t = await createTestApp({ metrics: metrics.http, metricsToken: token, logger });
  const scrape = async () => {
    const res = await t.app.request('/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    return res.text();
  };
  return { ...t, metrics, lines, scrape };
}

describe('bearer token check', () => {
  it('accepts exactly the token, in a Bearer header', () => {
    expect(bearerTokenMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerTokenMatches(`bearer  ${TOKEN} `, TOKEN)).toBe(true);
    expect(bearerTokenMatches(`Bearer ${TOKEN}x`, TOKEN)).toBe(false);
    expect(bearerTokenMatches(`Bearer ${TOKEN.slice(0, -1)}`, TOKEN)).toBe(false);
    expect(bearerTokenMatches(`Basic ${TOKEN}`, TOKEN)).toBe(false);
    expect(bearerTokenMatches(TOKEN, TOKEN)).toBe(false);
    expect(bearerTokenMatches(undefined, TOKEN)).toBe(false);
    expect(bearerTokenMatches('Bearer ', '')).toBe(false);
  });

  it('decides 404 when metrics are disabled, 401 without the token, 200 with it', () => {
    expect(scrapeDecision(`Bearer ${TOKEN}`, undefined).status).toBe(404);
    expect(scrapeDecision(undefined, TOKEN).status).toBe(401);
    expect(scrapeDecision(`Bearer ${TOKEN}`, TOKEN).status).toBe(200);
  });
});

describe('GET /metrics on the API', () => {
  it('answers 404 when METRICS_TOKEN is unset, even with a bearer header', async () => {
    const { app } = await appWithMetrics('');
    const res = await app.request('/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(404);
  });

  it('answers 401 without or with a wrong token, and a tenant API key is not enough', async () => {
    const { app, keys } = await appWithMetrics();
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: `Bearer ${keys.alpha}` }];
    for (const headers of attempts) {
      const res = await app.request('/metrics', { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await res.text()).not.toContain('docflow_');
    }
  });

  it('counts requests under their route pattern, never the raw path', async () => {
    const { app, keys, scrape } = await appWithMetrics();
    const auth = { authorization: `Bearer ${keys.alpha}` };
    await app.request('/api/batches/11111111-2222-3333-4444-555555555555', { headers: auth });
    await app.request('/api/batches/aaaaaaaa-2222-3333-4444-555555555555', { headers: auth });
    await app.request('/api/batches', { headers: {} });
    const body = await scrape();
    expect(body).toContain('docflow_http_requests_total{method="GET",route="/api/batches/:batchId",status="404"} 2');
    // Refused by authentication: counted under the middleware's pattern.
    expect(body).toContain('docflow_http_requests_total{method="GET",route="/api/*",status="401"} 1');
    expect(body).not.toContain('11111111-2222');
  });

  it('counts uploaded files accepted and rejected by reason code', async () => {
    const { app, keys, scrape } = await appWithMetrics();
    const form = oneFileForm('a.txt', 'hello');
    form.append('files', new Blob([]), 'empty.txt');
    const res = await app.request('/api/batches', { method: 'POST', body: form, headers: { authorization: `Bearer ${keys.alpha}` } });
    expect(res.status).toBe(202);
    const body = await scrape();
    expect(body).toContain('docflow_upload_files_accepted_total 1');
    expect(body).toContain('docflow_upload_files_rejected_total{code="empty_file"} 1');
  });
});

describe('request ids and request logs', () => {
  it('keeps a sane incoming X-Request-Id and replaces anything else', () => {
    expect(requestIdFrom('proxy-abc_123:4.5')).toBe('proxy-abc_123:4.5');
    for (const bad of ['', 'has space', 'x'.repeat(129), 'line\nbreak', '"quoted"', '-leading']) {
      expect(requestIdFrom(bad)).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('logs one JSON line per request with request id, route and tenant, and no credentials', async () => {
    const { app, keys, lines } = await appWithMetrics();
    const res = await app.request('/api/batches?status=failed&secret=shh', { headers: { authorization: `Bearer ${keys.alpha}`, 'x-request-id': 'trace-42' } });
    expect(res.headers.get('x-request-id')).toBe('trace-42');
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      level: 'info',
      requestId: 'trace-42',
      method: 'GET',
      path: '/api/batches',
      route: '/api/batches',
      status: 200,
      tenantId: 'alpha',
      auth: 'key',
    });
    expect(lines.join('\n')).not.toContain(keys.alpha);
    expect(lines.join('\n')).not.toContain('shh');
  });

  it('does not log scrapes or health checks', async () => {
    const { app, lines, scrape } = await appWithMetrics();
    await scrape();
    await app.request('/api/health');
    expect(lines.filter((l) => l.includes('"msg":"request"'))).toEqual([]);
  });
});
