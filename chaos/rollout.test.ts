import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as workflows from '../workflows/index.js';
import { replayAgainst, repositoryHistories, writeRolloutEntry } from './rollout.js';

describe('rolling-deploy tooling', () => {
  it('writes version 2 with every workflow of the product wrapped, and it replays the recorded version 1 histories', async () => {
    const entry = await writeRolloutEntry(mkdtempSync(path.join(tmpdir(), 'chaos-rollout-')));
    const source = readFileSync(entry, 'utf8');
    for (const name of Object.keys(workflows)) expect(source).toContain(`export const ${name} = rolledOut(v1.${name});`);

    // Histories recorded before the patch existed: on replay `patched()` is false, so version 2
    // issues exactly version 1's commands.
    const histories = repositoryHistories();
    expect(histories.length).toBeGreaterThan(0);
    const outcome = await replayAgainst(entry, histories);
    expect(outcome).toEqual({ replayed: histories.length, failures: [] });
  }, 60_000);
});
