/**
 * Bundles the workflow code the way a worker does. The bundler refuses Node built-ins and
 * anything non-deterministic it knows of, so a stray `node:fs` import in workflows/ (or in
 * something they import) fails here rather than on a worker at deploy time.
 */
import { describe, expect, it } from 'vitest';
import { bundleWorkflows } from '../worker/workers.js';

describe('workflow bundle', () => {
  it('builds without Node built-ins and exports every workflow type, the legacy ones included', async () => {
    const bundle = await bundleWorkflows();
    expect(bundle.code.length).toBeGreaterThan(1000);
    for (const type of ['ingestBatchV2', 'ingestShardV2', 'ingestBatch', 'ingestShard']) expect(bundle.code).toContain(type);
    expect(bundle.code).not.toMatch(/require\("(node:)?(fs|child_process|net)"\)/);
  }, 60_000);
});
