/**
 * `npm run chaos`: starts the real stack as separate processes, runs every fault scenario,
 * prints one row per scenario and writes the results as JSON under chaos/results/.
 * `--reduced` runs the small sizes that `npm test` uses; `--only a,b` picks scenarios.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../scripts/services/python-tools.js';
import { isClean } from './invariants.js';
import { FULL_SIZE, REDUCED_SIZE, SCENARIOS, type ScenarioResult, type ScenarioSize } from './scenarios.js';
import { startChaosStack } from './stack.js';

/** Runs the chosen scenarios on one stack; exported for the reduced run in `npm test`. */
export async function runChaos(options: { size: ScenarioSize; only?: string[]; dataDir: string; log?: (m: string) => void }): Promise<ScenarioResult[]> {
  const log = options.log ?? ((m: string) => console.error(`[chaos] ${m}`));
  const stack = await startChaosStack({ dataDir: options.dataDir, log, workersPerPool: 2 });
  const results: ScenarioResult[] = [];
  try {
    for (const [name, scenario] of Object.entries(SCENARIOS)) {
      if (options.only && !options.only.includes(name)) continue;
      log(`scenario ${name}...`);
      const result = await scenario(stack, options.size);
      log(`scenario ${name}: ${isClean(result) && result.extraProblems.length === 0 && result.reconcileChanges === 0 ? 'clean' : 'PROBLEMS'}`);
      results.push(result);
    }
  } finally {
    await stack.close();
  }
  return results;
}

/** The results as a fixed-width table. */
export function formatTable(results: ScenarioResult[]): string {
  const header = ['scenario', 'faults', 'accepted', 'indexed', 'failed', 'cancelled', 'lost', 'dupes', 'orphans', 'missing', 'sse≠', 'reconcile', 'recover s', 'other'];
  const rows = results.map((r) =>
    [
      r.scenario,
      r.faultsInjected,
      r.accepted,
      r.indexed,
      r.failed,
      r.cancelled,
      r.lost,
      r.duplicates,
      r.orphans,
      r.missingPoints,
      r.sseMismatches,
      r.reconcileChanges,
      r.recoverySeconds.toFixed(1),
      r.extraProblems.length,
    ].map(String),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const reduced = args.includes('--reduced');
  const onlyIndex = args.indexOf('--only');
  const only = onlyIndex >= 0 ? args[onlyIndex + 1]?.split(',') : undefined;
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  const dataDir = path.join(REPO_ROOT, '.test-data', `chaos-${stamp}`);
  const results = await runChaos({ size: reduced ? REDUCED_SIZE : FULL_SIZE, only, dataDir });
  console.log(formatTable(results));
  for (const r of results) for (const problem of [...r.problems, ...r.extraProblems].slice(0, 20)) console.log(`  ${r.scenario}: ${problem}`);
  const dir = path.join(REPO_ROOT, 'chaos', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `chaos-${stamp}.json`);
  writeFileSync(file, JSON.stringify({ reduced, results }, null, 2));
  console.log(`results: ${path.relative(REPO_ROOT, file)}`);
  const clean = results.every((r) => isClean(r) && r.extraProblems.length === 0 && r.reconcileChanges === 0);
  process.exit(clean ? 0 : 1);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  });
}
