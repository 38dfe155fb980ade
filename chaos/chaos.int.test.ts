/**
 * The reduced fault-injection run (`npm run chaos -- --reduced`) as part of `npm test`: worker
 * SIGKILLs, a Temporal dev server SIGKILL and restart, an API SIGKILL during uploads retried
 * with the same Idempotency-Key, and poison files among good ones, on the real stack.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testEnv } from '../test/env.js';
import { isClean } from './invariants.js';
import { formatTable, runChaos } from './run.js';
import { REDUCED_SIZE } from './scenarios.js';

describe('fault injection, reduced run', () => {
  it('loses, duplicates and orphans nothing in any scenario', async () => {
    const results = await runChaos({ size: REDUCED_SIZE, dataDir: path.join(testEnv().TEST_DATA_DIR, 'chaos'), log: () => {} });
    console.log(formatTable(results));
    expect(results.map((r) => r.scenario)).toHaveLength(4);
    for (const r of results) {
      expect([...r.problems, ...r.extraProblems], r.scenario).toEqual([]);
      expect(isClean(r), r.scenario).toBe(true);
      expect(r.reconcileChanges, `${r.scenario}: reconciliation afterwards changed something`).toBe(0);
      expect(r.accepted, r.scenario).toBeGreaterThan(0);
    }
  }, 600_000);
});
