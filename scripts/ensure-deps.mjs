// Installs npm dependencies when they are missing or older than the lockfile, so that
// `npm start` and `npm test` work on a fresh clone. Plain JavaScript on purpose: it runs
// before TypeScript tooling is installed.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const lock = path.join(root, 'package-lock.json');
const installed = path.join(root, 'node_modules', '.package-lock.json');

const upToDate = existsSync(installed) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs;
if (!upToDate) {
  console.log('[setup] installing npm dependencies (first run; better-sqlite3 compiles, this takes a few minutes)...');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
  });
  if (result.status !== 0) {
    console.error('[setup] npm ci failed; see the output above.');
    process.exit(result.status ?? 1);
  }
}

// The web app's tsconfig extends one that SvelteKit generates (ui/.svelte-kit/tsconfig.json).
// Without it, every TypeScript file under ui/ fails to load in vitest and Vite, so a fresh clone
// generates it here; `svelte-kit sync` only writes type files and takes about a second.
const generatedTsconfig = path.join(root, 'ui', '.svelte-kit', 'tsconfig.json');
if (!existsSync(generatedTsconfig)) {
  const result = spawnSync(path.join(root, 'node_modules', '.bin', 'svelte-kit'), ['sync'], { cwd: path.join(root, 'ui'), stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('[setup] svelte-kit sync failed; see the output above.');
    process.exit(result.status ?? 1);
  }
}
