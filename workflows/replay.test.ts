/**
 * Replays recorded histories against the current workflow code. A change that would make a
 * running batch non-deterministic (reordered steps, a new activity in the middle) fails here
 * before it can be deployed. Record new histories with `RECORD_HISTORIES=1 npm run test:integration`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { bundleWorkflows } from '../worker/workers.js';

const HISTORIES = path.resolve(import.meta.dirname, '__histories__');

describe('recorded workflow histories', () => {
  const files = readdirSync(HISTORIES).filter((f) => f.endsWith('.json'));

  it('exist for the recorded workflow types', () => {
    expect(files.sort()).toEqual(['ingestBatch.json', 'ingestShard.json', 'switchEmbeddingModel.json']);
  });

  it('replay without non-determinism', async () => {
    const workflowBundle = await bundleWorkflows();
    const histories = files.map((f) => ({ workflowId: f, history: historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES, f), 'utf8'))) }));
    const results = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle }, histories)) results.push(result);
    expect(results).toHaveLength(files.length);
    for (const r of results) expect(r.error, `${r.workflowId}: ${r.error?.message}`).toBeUndefined();
  }, 60_000);
});
