/**
 * Browser-facing hardening through the whole app: CORS closed unless configured, the CSP and
 * no-store headers, and the per-key rate limit with Retry-After.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONTENT_SECURITY_POLICY } from './security.js';
import { cookieFrom, createTestApp } from './test-app.js';

type Json = Record<string, any>;
const UI = 'https://ui.example.com';

const corsHeaders = (res: Response) => [...res.headers.keys()].filter((h) => h.startsWith('access-control-'));

describe('CORS', () => {
  it('is closed by default: no CORS headers at all, preflights are not answered', async () => {
    const { app, keys } = await createTestApp();
    const preflight = await app.request('/api/batches', { method: 'OPTIONS', headers: { origin: UI, 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(401);
    expect(corsHeaders(preflight)).toEqual([]);
    const get = await app.request('/api/limits', { headers: { origin: UI, authorization: `Bearer ${keys.alpha}` } });
    expect(get.status).toBe(200);
    expect(corsHeaders(get)).toEqual([]);
  });

  it('allows exactly the configured origins, with credentials', async () => {
    const { app, keys } = await createTestApp({ corsOrigins: [UI] });
    const preflight = await app.request('/api/search', {
      method: 'OPTIONS',
      headers: { origin: UI, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-csrf-token' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(UI);
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('X-CSRF-Token');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');

    const get = await app.request('/api/limits', { headers: { origin: UI, authorization: `Bearer ${keys.alpha}` } });
    expect(get.headers.get('access-control-allow-origin')).toBe(UI);
    expect(get.headers.get('access-control-expose-headers')).toContain('Retry-After');
    expect(get.headers.get('vary')).toContain('Origin');

    for (const origin of ['https://evil.example.com', `${UI}.evil.example`, 'null']) {
      const other = await app.request('/api/limits', { headers: { origin, authorization: `Bearer ${keys.alpha}` } });
      expect(corsHeaders(other)).toEqual([]);
      const otherPreflight = await app.request('/api/search', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
      expect(otherPreflight.status).toBe(401);
      expect(corsHeaders(otherPreflight)).toEqual([]);
    }
  });
});

describe('security headers', () => {
  it('sends a strict CSP everywhere and no-store on API answers, errors included', async () => {
    const { app, keys } = await createTestApp();
    for (const res of [
      await app.request('/api/health'),
      await app.request('/api/limits'),
      await app.request('/api/limits', { headers: { authorization: `Bearer ${keys.alpha}` } }),
    ]) {
      expect(res.headers.get('content-security-policy')).toBe(DEFAULT_CONTENT_SECURITY_POLICY);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
    expect(DEFAULT_CONTENT_SECURITY_POLICY).toContain("default-src 'self'");
    expect(DEFAULT_CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    expect(DEFAULT_CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
    expect(DEFAULT_CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval');
  });

  it('takes a configured CSP instead', async () => {
    const policy = "default-src 'self'; script-src 'self' 'sha256-abc='";
    const { app } = await createTestApp({ contentSecurityPolicy: policy });
    expect((await app.request('/api/health')).headers.get('content-security-policy')).toBe(policy);
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After once a key spends its burst, per key, sessions included', async () => {
    const clock = { now: 1_000_000 };
    const { app, keys } = await createTestApp({ now: () => clock.now, rateLimit: { perMinute: 60, burst: 2 } });
    const alpha = { authorization: `Bearer ${keys.alpha}` };
    expect((await app.request('/api/limits', { headers: alpha })).status).toBe(200);
    const cookie = cookieFrom(await app.request('/api/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiKey: keys.alpha }) }));
    // The session spends from the bucket of the key that opened it.
    expect((await app.request('/api/limits', { headers: { cookie } })).status).toBe(200);
    const limited = await app.request('/api/limits', { headers: alpha });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(((await limited.json()) as Json).error.code).toBe('rate_limited');
    expect((await app.request('/api/limits', { headers: { cookie } })).status).toBe(429);

    expect((await app.request('/api/limits', { headers: { authorization: `Bearer ${keys.beta}` } })).status).toBe(200);
    for (let i = 0; i < 5; i++) {
      expect((await app.request('/api/health')).status).toBe(200);
      expect((await app.request('/api/openapi.json')).status).toBe(200);
    }
    clock.now += 1_000;
    expect((await app.request('/api/limits', { headers: alpha })).status).toBe(200);
  });
});
