/**
 * The web app type-checks: svelte-check over every component and module of ui/, including the
 * shared contract types it imports from core/. Runs in `npm test`, so a contract change that
 * breaks the UI fails CI.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';

const UI_ROOT = import.meta.dirname;
const BIN = path.resolve(UI_ROOT, '..', 'node_modules', '.bin');

it('svelte-check finds no errors and no warnings in ui/', () => {
  // Generates .svelte-kit/ (route types, tsconfig) that svelte-check reads.
  const sync = spawnSync(path.join(BIN, 'svelte-kit'), ['sync'], { cwd: UI_ROOT, encoding: 'utf8' });
  expect(sync.status, sync.stderr).toBe(0);
  const check = spawnSync(path.join(BIN, 'svelte-check'), ['--tsconfig', './tsconfig.json', '--output', 'machine', '--fail-on-warnings'], { cwd: UI_ROOT, encoding: 'utf8' });
  const problems = check.stdout.split('\n').filter((line) => / (ERROR|WARNING) /.test(line));
  expect(problems).toEqual([]);
  expect(check.stdout).toMatch(/COMPLETED \d+ FILES 0 ERRORS 0 WARNINGS/);
  expect(check.status).toBe(0);
}, 240_000);
