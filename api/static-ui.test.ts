import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONTENT_SECURITY_POLICY } from './security.js';
import { inlineScriptHashes, policyForUi, styleAttributeHashes, withDirectiveSources } from './static-ui.js';
import { createTestApp } from './test-app.js';

const BOOT = "\n  import('/_app/immutable/entry/start.js').then((m) => m.start());\n";
const STYLE = 'position: absolute; width: 1px';
const sha = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** A miniature SvelteKit static build: an entry page with an inline bootstrap and one asset. */
function fakeBuild(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ui-build-'));
  mkdirSync(path.join(dir, '_app', 'immutable', 'entry'), { recursive: true });
  writeFileSync(path.join(dir, 'index.html'), `<!doctype html><html><head><script src="/x.js"></script></head><body><script>${BOOT}</script></body></html>`);
  writeFileSync(path.join(dir, '_app', 'immutable', 'entry', 'start.js'), `const t = '<div aria-live="assertive" style="${STYLE}"></div>';`);
  writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(path.join(os.tmpdir(), 'outside-secret.txt'), 'secret');
  return dir;
}

describe('CSP sources for the built app', () => {
  it('hashes inline scripts only, never ones loaded by src', () => {
    expect(inlineScriptHashes(`<script src="/a.js"></script><script>${BOOT}</script><script> </script>`)).toEqual([sha(BOOT)]);
  });

  it('hashes static style attributes found in scripts', () => {
    expect(styleAttributeHashes([`x='<p style="${STYLE}">'`, `y="<b style=\\"{dynamic}\\">"`])).toEqual([sha(STYLE)]);
  });

  it('adds sources to the right directive and keeps the rest of the policy', () => {
    expect(withDirectiveSources("default-src 'self'; script-src 'self'", 'script-src', ["'sha256-a'"])).toBe("default-src 'self'; script-src 'self' 'sha256-a'");
    expect(withDirectiveSources("default-src 'self'", 'style-src', ["'sha256-b'"])).toBe("default-src 'self'; style-src 'self' 'sha256-b'");
    const policy = policyForUi(DEFAULT_CONTENT_SECURITY_POLICY, { scriptHashes: ["'sha256-s'"], styleAttributeHashes: ["'sha256-t'"] });
    expect(policy).toContain("script-src 'self' 'sha256-s'");
    expect(policy).toContain("style-src 'self' 'unsafe-hashes' 'sha256-t'");
    expect(policy).not.toContain('unsafe-inline');
  });
});

describe('serving the web app', () => {
  it('serves the entry page with a CSP that admits exactly its inline script', async () => {
    const { app } = await createTestApp({ uiDir: fakeBuild() });
    const res = await app.request('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(await res.text()).toContain('entry/start.js');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain(`script-src 'self' ${sha(BOOT)}`);
    expect(csp).toContain(`style-src 'self' 'unsafe-hashes' ${sha(STYLE)}`);
  });

  it('serves assets, caching content-hashed ones for good', async () => {
    const { app } = await createTestApp({ uiDir: fakeBuild() });
    const asset = await app.request('/_app/immutable/entry/start.js');
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toContain('text/javascript');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    const icon = await app.request('/favicon.svg');
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    expect(icon.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers unknown paths with the entry page so client-side routes survive a reload', async () => {
    const { app } = await createTestApp({ uiDir: fakeBuild() });
    for (const p of ['/batches/abc', '/documents', '/_app/immutable/missing.js', '/%2e%2e/outside-secret.txt', '/..%2Foutside-secret.txt', '/%E0%A4%A']) {
      const res = await app.request(p);
      expect(res.status, p).toBe(200);
      expect(await res.text(), p).toContain('<!doctype html>');
    }
  });

  it('keeps every /api route authenticated and API 404s as JSON', async () => {
    const { app, keys } = await createTestApp({ uiDir: fakeBuild() });
    expect((await app.request('/api/batches')).status).toBe(401);
    const missing = await app.request('/api/nope', { headers: { authorization: `Bearer ${keys.alpha}` } });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('serves nothing when there is no build', async () => {
    const { app } = await createTestApp({ uiDir: path.join(os.tmpdir(), 'no-such-ui-build') });
    expect((await app.request('/')).status).toBe(404);
    const res = await app.request('/api/health');
    expect(res.headers.get('content-security-policy')).toBe(DEFAULT_CONTENT_SECURITY_POLICY);
  });
});
