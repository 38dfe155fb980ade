/**
 * Serves the built web app (ui/build, a SvelteKit static build) from the API's own origin, so
 * the session cookie, CSRF token and CSP all work without CORS. The files are public: they hold
 * no tenant data, and every /api route stays behind authentication because /api paths never
 * reach this handler. Unknown non-/api paths get index.html, the SPA entry, so a reload of
 * /batches/<id> lands on the app, which then routes on the client.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from 'hono';

/** Content types of everything a SvelteKit static build emits. */
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

export interface StaticUi {
  /** `'sha256-…'` sources of the inline scripts in index.html, for the CSP's script-src. */
  scriptHashes: string[];
  /** `'sha256-…'` sources of the static style attributes the app's scripts render. */
  styleAttributeHashes: string[];
  /** Answers a GET/HEAD for a non-/api path: a file of the build, or index.html. */
  handle(c: Context): Promise<Response>;
}

/** True when `dir` holds a finished build (index.html is written last by the adapter). */
export function hasUiBuild(dir: string): boolean {
  return existsSync(path.join(dir, 'index.html'));
}

/** CSP hash sources of every inline `<script>` of an HTML page. */
export function inlineScriptHashes(html: string): string[] {
  const hashes: string[] = [];
  for (const m of html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/gi)) {
    if (m[1].trim() === '') continue;
    hashes.push(`'sha256-${createHash('sha256').update(m[1], 'utf8').digest('base64')}'`);
  }
  return hashes;
}

/**
 * CSP hash sources of the static `style="…"` attributes in the app's scripts. Svelte renders
 * markup from templates, and SvelteKit's route announcer (the visually hidden live region that
 * tells screen readers about page changes) carries one; the CSP blocks it unless it is allowed
 * by hash with 'unsafe-hashes', which admits exactly these attribute values and nothing else.
 */
export function styleAttributeHashes(scripts: readonly string[]): string[] {
  const values = new Set<string>();
  for (const code of scripts) for (const m of code.matchAll(/\bstyle="([^"{}<>]*)"/g)) values.add(m[1]);
  return [...values].map((v) => `'sha256-${createHash('sha256').update(v, 'utf8').digest('base64')}'`);
}

/** Adds sources to one directive of a policy (creating it from `'self'` when absent). */
export function withDirectiveSources(policy: string, directive: string, sources: readonly string[]): string {
  if (sources.length === 0) return policy;
  const directives = policy
    .split(';')
    .map((d) => d.trim())
    .filter(Boolean);
  const index = directives.findIndex((d) => d.split(/\s+/)[0] === directive);
  if (index >= 0) directives[index] = `${directives[index]} ${sources.join(' ')}`;
  else directives.push(`${directive} 'self' ${sources.join(' ')}`);
  return directives.join('; ');
}

/** The default policy plus exactly what the built app needs, all by hash. */
export function policyForUi(policy: string, ui: Pick<StaticUi, 'scriptHashes' | 'styleAttributeHashes'> | undefined): string {
  if (!ui) return policy;
  const styles = ui.styleAttributeHashes.length > 0 ? ["'unsafe-hashes'", ...ui.styleAttributeHashes] : [];
  return withDirectiveSources(withDirectiveSources(policy, 'script-src', ui.scriptHashes), 'style-src', styles);
}

/** Every .js file under a directory. */
function scriptsUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...scriptsUnder(full));
    else if (entry.name.endsWith('.js')) out.push(readFileSync(full, 'utf8'));
  }
  return out;
}

/**
 * Loads the build in `dir`. index.html is read once, so its script hashes and the page served
 * always match; rebuild the UI, then restart the API.
 */
export function loadStaticUi(dir: string): StaticUi {
  const root = path.resolve(dir);
  const indexHtml = readFileSync(path.join(root, 'index.html'), 'utf8');
  const scriptHashes = inlineScriptHashes(indexHtml);
  const styleHashes = styleAttributeHashes(scriptsUnder(path.join(root, '_app')));

  const sendIndex = (c: Context) => {
    // The entry page names the current asset files, so it must never be cached stale.
    c.header('Cache-Control', 'no-cache');
    return c.html(indexHtml);
  };

  return {
    scriptHashes,
    styleAttributeHashes: styleHashes,
    async handle(c) {
      let relative: string;
      try {
        relative = decodeURIComponent(c.req.path);
      } catch {
        return sendIndex(c);
      }
      const file = path.resolve(root, `.${relative}`);
      // Never outside the build directory, whatever the path says.
      if (!file.startsWith(root + path.sep)) return sendIndex(c);
      const type = CONTENT_TYPES[path.extname(file).toLowerCase()];
      const info = type ? await stat(file).catch(() => null) : null;
      if (!type || !info?.isFile()) return sendIndex(c);
      if (file.endsWith('.html')) return sendIndex(c);
      // Vite names immutable assets by content hash: cache them for good; everything else revalidates.
      const immutable = relative.startsWith('/_app/immutable/');
      c.header('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      c.header('Content-Type', type);
      if (c.req.method === 'HEAD') return c.body(null, 200);
      return c.body(new Uint8Array(await readFile(file)), 200);
    },
  };
}
