/**
 * Authentication through the whole app: bearer keys, the browser session cookie and its CSRF
 * token, revocation and expiry of stateless sessions, and what never reaches the logs.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cookieFrom, createTestApp, oneFileForm } from './test-app.js';

type Json = Record<string, any>;

async function signIn(app: Awaited<ReturnType<typeof createTestApp>>['app'], apiKey: string, url = 'http://localhost/api/session') {
  const res = await app.request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiKey }) });
  return { res, body: (await res.json()) as Json };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('sessions', () => {
  it('signs in with a key, sets a locked-down cookie, and answers GET /api/session', async () => {
    const clock = { now: Date.UTC(2026, 0, 1) };
    const { app, keys } = await createTestApp({ now: () => clock.now });
    const { res, body } = await signIn(app, keys.alpha);
    expect(res.status).toBe(200);
    expect(body).toEqual({ tenantId: 'alpha', csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), expiresAt: '2026-01-01T12:00:00.000Z' });
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^docflow_session=v1\./);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).toContain('Max-Age=43200');
    expect(setCookie).not.toContain('Secure');

    const again = await app.request('/api/session', { headers: { cookie: cookieFrom(res) } });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(body);
    expect((await app.request('/api/session')).status).toBe(401);
    expect((await app.request('/api/session', { headers: { authorization: `Bearer ${keys.alpha}` } })).status).toBe(401);
  });

  it('refuses unknown keys and anything but a JSON body', async () => {
    const { app, keys } = await createTestApp();
    expect((await signIn(app, 'dfk_not-a-real-key-at-all')).res.status).toBe(401);
    const form = await app.request('/api/session', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `apiKey=${keys.alpha}` });
    expect(form.status).toBe(415);
    const text = await app.request('/api/session', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ apiKey: keys.alpha }) });
    expect(text.status).toBe(415);
    const junk = await app.request('/api/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"apiKey": 5}' });
    expect(junk.status).toBe(400);
    for (const r of [form, text, junk]) expect(r.headers.get('set-cookie')).toBeNull();
  });

  it('uses a Secure __Host- cookie over HTTPS or when forced', async () => {
    const { app, keys } = await createTestApp();
    const https = await signIn(app, keys.alpha, 'https://docflow.example/api/session');
    expect(https.res.headers.get('set-cookie')).toMatch(/^__Host-docflow_session=v1\..*; Secure/);
    const cookie = cookieFrom(https.res);
    expect((await app.request('https://docflow.example/api/batches/nope', { headers: { cookie } })).status).toBe(404);

    const forced = await createTestApp({ sessions: { secret: 'x'.repeat(32), cookieSecure: true } });
    const viaProxy = await signIn(forced.app, forced.keys.alpha);
    expect(viaProxy.res.headers.get('set-cookie')).toMatch(/^__Host-docflow_session=.*; Secure/);
  });

  it('authenticates GET and the SSE stream with the cookie alone', async () => {
    const { app, keys, progress, catalog } = await createTestApp();
    const created = await app.request('/api/batches', { method: 'POST', body: oneFileForm(), headers: { authorization: `Bearer ${keys.alpha}` } });
    const { batchId } = (await created.json()) as Json;
    progress.set(batchId, { status: 'completed', seq: 1, shardCount: 1, finishedShards: [], runningShards: [], cancelRequested: false });
    await catalog.setBatchStatus('alpha', batchId, 'completed', 1); // what the run's last step does
    const cookie = cookieFrom((await signIn(app, keys.alpha)).res);

    const view = await app.request(`/api/batches/${batchId}`, { headers: { cookie } });
    expect(view.status).toBe(200);
    expect(((await view.json()) as Json).batchId).toBe(batchId);
    const events = await app.request(`/api/batches/${batchId}/events`, { headers: { cookie } });
    expect(events.status).toBe(200);
    expect(events.headers.get('content-type')).toContain('text/event-stream');
    expect(events.headers.get('cache-control')).toBe('no-store');
    expect(await events.text()).toContain('event: done');

    // Another tenant's session sees nothing of alpha's batch.
    const betaCookie = cookieFrom((await signIn(app, keys.beta)).res);
    expect((await app.request(`/api/batches/${batchId}`, { headers: { cookie: betaCookie } })).status).toBe(404);
  });

  it('requires the CSRF token for cookie writes, never for bearer writes', async () => {
    const { app, keys } = await createTestApp();
    const login = await signIn(app, keys.alpha);
    const cookie = cookieFrom(login.res);
    const search = (headers: Record<string, string>) =>
      app.request('/api/search', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: 'hello' }) });

    const wrongTokens: Record<string, string>[] = [
      { cookie },
      { cookie, 'x-csrf-token': 'wrong' },
      { cookie, 'x-csrf-token': `${login.body.csrfToken.slice(0, -1)}${login.body.csrfToken.endsWith('A') ? 'B' : 'A'}` },
    ];
    for (const headers of wrongTokens) {
      const res = await search(headers);
      expect(res.status).toBe(403);
      expect(((await res.json()) as Json).error.code).toBe('csrf_failed');
    }
    const upload = await app.request('/api/batches', { method: 'POST', body: oneFileForm(), headers: { cookie } });
    expect(upload.status).toBe(403);

    // Another session's token does not fit this session.
    const other = await signIn(app, keys.alpha);
    expect((await search({ cookie, 'x-csrf-token': other.body.csrfToken })).status).toBe(403);

    expect((await search({ cookie, 'x-csrf-token': login.body.csrfToken })).status).toBe(200);
    expect((await app.request('/api/batches', { method: 'POST', body: oneFileForm(), headers: { cookie, 'x-csrf-token': login.body.csrfToken } })).status).toBe(202);
    expect((await search({ authorization: `Bearer ${keys.alpha}` })).status).toBe(200);
  });

  it('ends every session of a revoked key', async () => {
    const { app, keys, catalog } = await createTestApp();
    const cookie = cookieFrom((await signIn(app, keys.alpha)).res);
    expect((await app.request('/api/limits', { headers: { cookie } })).status).toBe(200);
    await catalog.revokeApiKeys(keys.alpha.slice(0, 12));
    for (const route of ['/api/limits', '/api/session']) {
      const res = await app.request(route, { headers: { cookie } });
      expect(res.status).toBe(401);
      expect(((await res.json()) as Json).error.message).toMatch(/revoked/);
    }
  });

  it('refuses expired and tampered cookies, and a bad bearer never falls back to the cookie', async () => {
    const clock = { now: Date.now() };
    const { app, keys } = await createTestApp({ now: () => clock.now, sessions: { secret: 'y'.repeat(32), ttlSeconds: 60 } });
    const cookie = cookieFrom((await signIn(app, keys.alpha)).res);
    const [name, value] = cookie.split('=');
    const [v, payload, signature] = value.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const tampered = [
      `${name}=${v}.${Buffer.from(JSON.stringify({ ...claims, t: 'beta' })).toString('base64url')}.${signature}`,
      `${name}=${v}.${Buffer.from(JSON.stringify({ ...claims, e: claims.e + 86_400 })).toString('base64url')}.${signature}`,
      `${name}=${value}x`,
      `${name}=garbage`,
    ];
    for (const bad of tampered) expect((await app.request('/api/limits', { headers: { cookie: bad } })).status).toBe(401);
    expect((await app.request('/api/limits', { headers: { cookie, authorization: 'Bearer dfk_wrong-wrong-wrong' } })).status).toBe(401);

    expect((await app.request('/api/limits', { headers: { cookie } })).status).toBe(200);
    clock.now += 61_000;
    const expired = await app.request('/api/limits', { headers: { cookie } });
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as Json).error.message).toMatch(/expired/);
  });

  it('signs out by clearing the cookie, whatever state it is in', async () => {
    const { app, keys } = await createTestApp();
    const cookie = cookieFrom((await signIn(app, keys.alpha)).res);
    for (const headers of [{ cookie }, { cookie: 'docflow_session=garbage' }, {}] as Record<string, string>[]) {
      const res = await app.request('/api/session', { method: 'DELETE', headers });
      expect(res.status).toBe(204);
      expect(res.headers.get('set-cookie')).toMatch(/^docflow_session=; Max-Age=0; Path=\/; HttpOnly; SameSite=Strict/);
    }
  });

  it('never takes credentials from the URL', async () => {
    const { app, keys } = await createTestApp();
    const cookieValue = cookieFrom((await signIn(app, keys.alpha)).res).split('=')[1];
    for (const query of [`access_token=${keys.alpha}`, `apiKey=${keys.alpha}`, `session=${cookieValue}`, `docflow_session=${cookieValue}`]) {
      expect((await app.request(`/api/limits?${query}`)).status).toBe(401);
    }
  });

  it('never logs an API key, a cookie or a CSRF token', async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
    };
    vi.spyOn(console, 'log').mockImplementation(capture);
    vi.spyOn(console, 'error').mockImplementation(capture);
    vi.spyOn(console, 'warn').mockImplementation(capture);
    vi.spyOn(console, 'info').mockImplementation(capture);

    const { app, keys } = await createTestApp();
    const login = await signIn(app, keys.alpha);
    const cookie = cookieFrom(login.res);
    const csrf = login.body.csrfToken as string;
    await app.request('/api/session', { headers: { cookie } });
    await app.request('/api/search', { method: 'POST', headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' }, body: '{"query":"q"}' });
    await app.request('/api/search', { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: '{"query":"q"}' });
    await app.request(`/api/limits?access_token=${keys.alpha}`, { headers: { authorization: `Bearer ${keys.alpha}` } });
    await app.request('/api/limits', { headers: { authorization: `Bearer ${keys.beta}x` } });
    await app.request('/api/batches', { method: 'POST', headers: { authorization: `Bearer ${keys.alpha}` }, body: oneFileForm() });
    await app.request('/api/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiKey: `${keys.beta}` }) });
    await app.request('/api/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiKey: 'dfk_unknown-key-123456' }) });
    await app.request('/api/session', { method: 'DELETE', headers: { cookie } });

    expect(lines.length).toBeGreaterThanOrEqual(9);
    const logged = lines.join('\n');
    for (const secret of [keys.alpha, keys.beta, keys.alpha.slice(4), cookie, cookie.split('=')[1], cookie.split('.')[2], csrf, 'dfk_unknown-key-123456']) {
      expect(logged).not.toContain(secret);
    }
    expect(logged).toContain('"auth":"session"');
  });
});
