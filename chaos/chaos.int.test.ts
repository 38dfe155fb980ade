/**
 * The reduced fault-injection run (`npm run chaos -- --reduced`) as part of `npm test`: every
 * scenario with a few faults and small batches, on the real stack as separate processes.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testEnv } from '../test/env.js';
import { formatDetails, formatTable, passed, runChaos } from './run.js';
import { REDUCED_SIZE, SCENARIOS } from './scenarios.js';

describe('fault injection, reduced run', () => {
  it('loses, duplicates and orphans nothing in any scenario', async () => {
    const { results } = await runChaos({ size: REDUCED_SIZE, dataDir: path.join(testEnv().TEST_DATA_DIR, 'chaos'), log: () => {} });
    console.log(`${formatTable(results)}\n${formatDetails(results)}`);
    expect(results).toHaveLength(Object.keys(SCENARIOS).length);
    for (const r of results) {
      expect([...r.problems, ...r.extraProblems], r.scenario).toEqual([]);
      expect(passed(r), r.scenario).toBe(true);
      expect(r.accepted, r.scenario).toBeGreaterThan(0);
      expect(r.faultsInjected, r.scenario).toBeGreaterThan(0);
    }
  }, 600_000);
});
