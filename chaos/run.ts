/**
 * `npm run chaos`: starts the real stack as separate processes, runs every fault scenario,
 * prints one row per scenario and writes the results as JSON under chaos/results/.
 * `--reduced` runs the small sizes that `npm test` uses; `--only a,b` picks scenarios.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../scripts/services/python-tools.js';
import { isClean } from './invariants.js';
import { FULL_SIZE, REDUCED_SIZE, SCENARIOS, type ScenarioResult, type ScenarioSizes } from './scenarios.js';
import { startChaosStack } from './stack.js';

/** True when a row shows nothing the harness exists to catch. */
export function passed(result: ScenarioResult): boolean {
  return isClean(result) && result.extraProblems.length === 0 && result.reconcileChanges === 0 && result.crossTenantReads === 0;
}

/** Runs the chosen scenarios on one stack; exported for the reduced run in `npm test`. */
export async function runChaos(options: {
  size: ScenarioSizes;
  only?: string[];
  dataDir: string;
  log?: (m: string) => void;
}): Promise<{ stores: string; results: ScenarioResult[] }> {
  const log = options.log ?? ((m: string) => console.error(`[chaos] ${m}`));
  const unknown = (options.only ?? []).filter((name) => !(name in SCENARIOS));
  if (unknown.length > 0) throw new Error(`unknown scenarios ${unknown.join(', ')}; there are ${Object.keys(SCENARIOS).join(', ')}`);
  const stack = await startChaosStack({ dataDir: options.dataDir, log, workersPerPool: 2 });
  const results: ScenarioResult[] = [];
  try {
    for (const [name, scenario] of Object.entries(SCENARIOS)) {
      if (options.only && !options.only.includes(name)) continue;
      const started = Date.now();
      log(`scenario ${name}...`);
      const result = await scenario(stack, options.size);
      log(`scenario ${name}: ${passed(result) ? 'clean' : 'PROBLEMS'} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
      results.push(result);
    }
  } finally {
    await stack.close();
  }
  return { stores: stack.storesDescription, results };
}

/** The results as a fixed-width table. */
export function formatTable(results: ScenarioResult[]): string {
  const columns: [string, (r: ScenarioResult) => string | number][] = [
    ['scenario', (r) => r.scenario],
    ['faults', (r) => r.faultsInjected],
    ['accepted', (r) => r.accepted],
    ['indexed', (r) => r.indexed],
    ['failed', (r) => r.failed],
    ['cancelled', (r) => r.cancelled],
    ['lost', (r) => r.lost],
    ['dupes', (r) => r.duplicates],
    ['orphan pts', (r) => r.orphans],
    ['orphan files', (r) => r.orphanFiles],
    ['missing pts', (r) => r.missingPoints],
    ['sse≠catalog', (r) => r.sseMismatches],
    ['reconcile Δ', (r) => r.reconcileChanges],
    ['x-tenant', (r) => `${r.crossTenantReads}/${r.isolationChecks}`],
    ['recover s', (r) => r.recoverySeconds.toFixed(1)],
    ['other', (r) => r.extraProblems.length],
  ];
  const rows = results.map((r) => columns.map(([, cell]) => String(cell(r))));
  const widths = columns.map(([h], i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [line(columns.map(([h]) => h)), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The notes and every problem under the table, a bounded number per scenario. */
export function formatDetails(results: ScenarioResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    for (const note of r.notes) lines.push(`  ${r.scenario}: ${note}`);
    for (const problem of [...r.problems, ...r.extraProblems].slice(0, 20)) lines.push(`  ${r.scenario}: PROBLEM ${problem}`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const reduced = args.includes('--reduced');
  const onlyIndex = args.indexOf('--only');
  const only = onlyIndex >= 0 ? args[onlyIndex + 1]?.split(',') : undefined;
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  const dataDir = path.join(REPO_ROOT, '.test-data', `chaos-${stamp}`);
  const started = Date.now();
  const { stores, results } = await runChaos({ size: reduced ? REDUCED_SIZE : FULL_SIZE, only, dataDir });
  console.log(`${reduced ? 'reduced' : 'full'} run on ${stores}, ${((Date.now() - started) / 60_000).toFixed(1)} min`);
  console.log(formatTable(results));
  console.log(formatDetails(results));
  const dir = path.join(REPO_ROOT, 'chaos', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `chaos-${stamp}.json`);
  writeFileSync(file, JSON.stringify({ reduced, stores, results }, null, 2));
  console.log(`results: ${path.relative(REPO_ROOT, file)}`);
  process.exit(results.every(passed) ? 0 : 1);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  });
}
