/**
 * Builds the web app when ui/build is missing or older than its sources (ui/src, the UI config,
 * the shared contract in core/, or the lockfile). Used by `npm start` and by the browser tests, so a fresh
 * clone serves the current UI without a separate build step.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const UI_ROOT = import.meta.dirname;
const REPO_ROOT = path.resolve(UI_ROOT, '..');
export const UI_BUILD_DIR = path.join(UI_ROOT, 'build');

function newestMtime(entry: string): number {
  if (!existsSync(entry)) return 0;
  const info = statSync(entry);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(entry)) newest = Math.max(newest, newestMtime(path.join(entry, name)));
  return newest;
}

/** True when the build exists and is newer than every input of it. */
export function uiBuildIsCurrent(): boolean {
  const index = path.join(UI_BUILD_DIR, 'index.html');
  if (!existsSync(index)) return false;
  const inputs = ['src', 'static', 'svelte.config.js', 'vite.config.ts'].map((p) => path.join(UI_ROOT, p));
  // The shared contract, and the lockfile (a Svelte or Kit upgrade changes the output too).
  inputs.push(path.join(REPO_ROOT, 'core'), path.join(REPO_ROOT, 'package-lock.json'));
  const newestInput = Math.max(...inputs.map(newestMtime));
  return statSync(index).mtimeMs >= newestInput;
}

/** Runs `npm run ui:build` when needed; throws with the build's output when it fails. */
export function ensureUiBuild(log: (message: string) => void = () => {}): void {
  if (uiBuildIsCurrent()) return;
  log('building the web app (ui/build)...');
  const result = spawnSync('npm', ['run', '--silent', 'ui:build'], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production' } });
  if (result.status !== 0) throw new Error(`the web app build failed:\n${result.stdout}\n${result.stderr}`);
}
