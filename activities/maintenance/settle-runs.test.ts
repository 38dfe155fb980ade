import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Catalog } from '../../adapters/catalog.js';
import { contractDocument } from '../../adapters/catalog.contract.js';
import { createLanceDbStore } from '../../adapters/lancedb-store.js';
import { createSqliteCatalog } from '../../adapters/sqlite-catalog.js';
import { contractPoint } from '../../adapters/vector-store.contract.js';
import type { VectorStore } from '../../adapters/vector-store.js';
import type { RunInspector, RunState } from '../../adapters/run-inspector.js';
import { settleClosedBatches, settleClosedRun } from './settle-runs.js';

/** Run states by workflow id, and open shard counts by batch workflow id. */
function tableInspector(states: Record<string, RunState>, openShards: Record<string, number> = {}): RunInspector {
  return {
    runState: async (workflowId) => states[workflowId] ?? 'not_found',
    openShards: async (_batchId, workflowId) => openShards[workflowId] ?? 0,
  };
}

describe('settling runs that ended behind the catalog', () => {
  let dir: string;
  let catalog: Catalog;
  let vectors: VectorStore;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'docflow-settle-'));
    catalog = createSqliteCatalog(path.join(dir, 'catalog.sqlite'));
    vectors = await createLanceDbStore({ dir: path.join(dir, 'vectors') });
    await catalog.ensureTenant('t1');
    await catalog.createBatch({ id: 'b1', tenantId: 't1', workflowId: 'wf-b1', documentCount: 3, idempotencyKey: null }, [
      contractDocument('d1'),
      contractDocument('d2'),
      contractDocument('d3'),
    ]);
    // d1 finished before the run ended; d2 was half-way through its upsert; d3 never started.
    await catalog.updateDocuments('t1', [
      { documentId: 'd1', status: 'indexed', chunks: 1, errorCode: null, errorMessage: null, attempt: 1, startedAt: 1, finishedAt: 2 },
      { documentId: 'd2', status: 'embedding', chunks: 0, errorCode: null, errorMessage: null, attempt: 1, startedAt: 1, finishedAt: null },
    ]);
    await vectors.upsert('t1', [contractPoint('t1', 'd1', 0, [1, 0, 0, 0]), contractPoint('t1', 'd2', 0, [0, 1, 0, 0]), contractPoint('t1', 'd2', 1, [0, 1, 1, 0])]);
  });
  afterEach(async () => {
    await vectors.close();
    await catalog.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves a live run alone', async () => {
    const batch = (await catalog.getBatch('t1', 'b1'))!;
    expect(await settleClosedRun({ catalog, vectors, runs: tableInspector({ 'wf-b1': 'running' }) }, batch)).toBe('alive');
    expect((await catalog.getBatch('t1', 'b1'))?.status).toBe('running');
  });

  it('waits while the ended run’s shards are still cleaning up', async () => {
    const batch = (await catalog.getBatch('t1', 'b1'))!;
    const runs = tableInspector({ 'wf-b1': 'terminated' }, { 'wf-b1': 1 });
    expect(await settleClosedRun({ catalog, vectors, runs }, batch)).toBe('waiting');
    expect((await catalog.getDocument('t1', 'd3'))?.status).toBe('queued');
  });

  it('settles a terminated re-index: the version it was building goes, the active version stays, and why is recorded', async () => {
    await catalog.setBatchStatus('t1', 'b1', 'completed_with_errors', 3);
    await catalog.startReindex('t1', 'b1', ['d1'], () => 'wf-b1-r2');
    await vectors.upsert('t1', [contractPoint('t1', 'd1', 0, [1, 0, 0, 0], { version: 2 })]);
    const batch = (await catalog.getBatch('t1', 'b1'))!;
    expect(await settleClosedRun({ catalog, vectors, runs: tableInspector({ 'wf-b1-r2': 'terminated' }) }, batch)).toBe('settled');
    expect(await catalog.getDocument('t1', 'd1')).toMatchObject({
      status: 'indexed',
      activeVersion: 1,
      pendingVersion: null,
      chunks: 1,
      errorCode: null,
      lastReindexFailure: { code: 'cancelled', version: 2, message: expect.stringMatching(/terminated in Temporal.*still answers from version 1/) },
    });
    expect((await vectors.listPointRefs('t1')).filter((r) => r.documentId === 'd1').map((r) => r.version)).toEqual([1]);
    expect(await catalog.listPendingVersions('t1')).toEqual([]);
  });

  it('keeps the reason a re-index run recorded itself when settling it after Temporal ended it', async () => {
    await catalog.setBatchStatus('t1', 'b1', 'completed_with_errors', 3);
    await catalog.startReindex('t1', 'b1', ['d1'], () => 'wf-b1-r2');
    // The shard recorded d1's failure, then the run was terminated before its versions were settled.
    await catalog.recordReindexFailures('t1', [{ documentId: 'd1', code: 'embedding_rejected', message: 'The model refused the text.' }]);
    const batch = (await catalog.getBatch('t1', 'b1'))!;
    expect(await settleClosedRun({ catalog, vectors, runs: tableInspector({ 'wf-b1-r2': 'terminated' }) }, batch)).toBe('settled');
    expect(await catalog.getDocument('t1', 'd1')).toMatchObject({
      pendingVersion: null,
      lastReindexFailure: { code: 'embedding_rejected', message: 'The model refused the text.', version: 2 },
    });
  });

  it('settles a terminated run: unfinished documents cancelled with a reason, their partial vectors removed', async () => {
    const batch = (await catalog.getBatch('t1', 'b1'))!;
    expect(await settleClosedRun({ catalog, vectors, runs: tableInspector({ 'wf-b1': 'terminated' }) }, batch)).toBe('settled');
    expect((await catalog.getBatch('t1', 'b1'))?.status).toBe('cancelled');
    for (const id of ['d2', 'd3']) {
      const doc = await catalog.getDocument('t1', id);
      expect(doc).toMatchObject({ status: 'cancelled', errorCode: 'cancelled' });
      expect(doc?.errorMessage).toMatch(/terminated in Temporal/);
    }
    expect((await catalog.getDocument('t1', 'd1'))?.status).toBe('indexed');
    expect(await vectors.countDocument('t1', 'd1')).toBe(1);
    expect(await vectors.countDocument('t1', 'd2')).toBe(0);
    // Settling again changes nothing.
    expect(await settleClosedRun({ catalog, vectors, runs: tableInspector({ 'wf-b1': 'terminated' }) }, batch)).toBe('not_running');
  });

  it('a run that timed out ends the batch by its documents: some indexed means completed with errors', async () => {
    const batch = (await catalog.getBatch('t1', 'b1'))!;
    await settleClosedRun({ catalog, vectors, runs: tableInspector({ 'wf-b1': 'timed_out' }) }, batch);
    expect((await catalog.getBatch('t1', 'b1'))?.status).toBe('completed_with_errors');
    expect((await catalog.getDocument('t1', 'd3'))?.errorMessage).toMatch(/time limit/);
  });

  it('does not overwrite an outcome the run recorded itself in the meantime', async () => {
    const stale = (await catalog.getBatch('t1', 'b1'))!;
    await catalog.setBatchStatus('t1', 'b1', 'completed', 42);
    expect(await settleClosedRun({ catalog, vectors, runs: tableInspector({ 'wf-b1': 'completed' }) }, stale)).toBe('not_running');
    expect(await catalog.getBatch('t1', 'b1')).toMatchObject({ status: 'completed', finalSeq: 42 });
  });

  it('sweeps every tenant’s running batches', async () => {
    await catalog.ensureTenant('t2');
    await catalog.createBatch({ id: 'b2', tenantId: 't2', workflowId: 'wf-b2', documentCount: 1, idempotencyKey: null }, [contractDocument('e1')]);
    await catalog.createBatch({ id: 'b3', tenantId: 't2', workflowId: 'wf-b3', documentCount: 1, idempotencyKey: null }, [contractDocument('e2')]);
    const runs = tableInspector({ 'wf-b1': 'terminated', 'wf-b2': 'running', 'wf-b3': 'not_found' });
    expect(await settleClosedBatches({ catalog, vectors, runs })).toEqual({ checked: 3, settled: 2 });
    expect((await catalog.getBatch('t2', 'b2'))?.status).toBe('running');
    expect((await catalog.getBatch('t2', 'b3'))?.status).toBe('failed');
  });
});
