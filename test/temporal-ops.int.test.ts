/**
 * Temporal as the operators' console: a run cancelled, terminated or reset with the `temporal`
 * CLI leaves the catalog and `GET /api/batches/{id}` consistent with what happened; scheduled
 * reconciliation repairs an injected orphan point and an injected missing point; the schedules
 * are created idempotently and really start the maintenance workflow.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentArtifactPrefix } from '../activities/artifacts.js';
import { UNREPAIRABLE_MESSAGE } from '../activities/maintenance/reconcile.js';
import type { BatchView } from '../core/contracts.js';
import { pointId } from '../core/ids.js';
import { REPO_ROOT } from '../scripts/services/python-tools.js';
import { ensureSchedules } from '../worker/schedules.js';
import type { ReconcileSummary, RetentionSummary } from '../workflows/maintenance.js';
import { testEnv } from './env.js';
import { makeText } from './fixtures/documents.js';
import { plainPayload } from './fixtures/vectors.js';
import { uploadBatch, waitForBatch } from './http.js';
import { indexWithFaults } from './index-faults.js';
import { startStack, type Stack } from './stack.js';

const run = promisify(execFile);
const TENANT = 'demo';

// Each label gets its own text: identical content would be skipped as a duplicate.
const longText = (label: string, i: number, paragraphs = 10) =>
  makeText(
    Array.from({ length: paragraphs }, (_, p) => `Ledger ${label} ${i}.${p} records the lighthouse keeper's entry ${i * 100 + p}. ${'the lamp turns all night '.repeat(18)}`).join(
      '\n\n',
    ),
  );

describe('operating runs from Temporal', () => {
  let stack: Stack;
  /** Embedding waits this long per call while set, so a batch is still running when we act. */
  let embedDelayMs = 0;
  const failEmbedFor = new Set<string>();

  /** The operator's CLI, against the test Temporal server. */
  const temporal = async (...args: string[]) => {
    const env = testEnv();
    const { stdout } = await run(path.join(REPO_ROOT, '.venv', 'bin', 'temporal'), [...args, '--address', env.TEMPORAL_ADDRESS, '--namespace', env.TEMPORAL_NAMESPACE], {
      timeout: 60_000,
    });
    return stdout;
  };
  const api = async (p: string) => {
    const res = await fetch(`${stack.baseUrl}${p}`, { headers: { authorization: `Bearer ${stack.apiKey}` } });
    return (await res.json()) as BatchView;
  };
  const upload = async (count: number, label: string) => {
    const res = await uploadBatch(
      stack.baseUrl,
      stack.apiKey,
      Array.from({ length: count }, (_, i) => ({ name: `${label}-${i}.txt`, bytes: longText(label, i) })),
    );
    expect(res.status).toBe(202);
    return res.body.batchId as string;
  };
  /** Waits until at least one document is indexed and the batch is still running. */
  const waitUntilPartlyIndexed = async (batchId: string) => {
    for (const deadline = Date.now() + 120_000; ;) {
      const view = await api(`/api/batches/${batchId}`);
      if (view.documents.some((d) => d.status === 'indexed') && view.status === 'running') return view;
      if (view.status !== 'running' || Date.now() > deadline) throw new Error(`batch ${batchId} not partly indexed: ${view.status}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const expectVectorsMatchCatalog = async (view: BatchView) => {
    for (const d of view.documents) {
      const expected = d.status === 'indexed' ? d.chunks : 0;
      expect(await stack.vectors.countDocument(TENANT, d.documentId), `${d.filename} (${d.status})`).toBe(expected);
    }
  };

  beforeAll(async () => {
    stack = await startStack({
      fanOut: { documentsInFlight: 2, chunksPerStep: 4 },
      wrapEmbedder: (real) => ({
        model: real.model,
        dimensions: () => real.dimensions(),
        health: () => real.health(),
        embed: async (...args) => {
          if (embedDelayMs > 0) await new Promise((r) => setTimeout(r, embedDelayMs));
          return real.embed(...args);
        },
      }),
      wrapIndexActivities: (real) => ({
        ...real,
        indexChunks: (input) =>
          indexWithFaults(
            real,
            input,
            (item) =>
              failEmbedFor.has(item.documentId)
                ? { step: 'embed', code: 'internal_error', message: 'the embedding service rejected the input (injected)', retryable: false }
                : null,
            'before-work',
          ),
      }),
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('`temporal workflow cancel` ends the batch cancelled: finished documents keep their vectors, the rest have none', async () => {
    embedDelayMs = 400;
    const batchId = await upload(6, 'cli-cancel');
    const live = await waitUntilPartlyIndexed(batchId);
    await temporal('workflow', 'cancel', '--workflow-id', live.workflowId);
    const view = await waitForBatch(stack.baseUrl, stack.apiKey, batchId, 120_000);
    embedDelayMs = 0;

    expect(view.status).toBe('cancelled');
    expect((await stack.catalog.getBatch(TENANT, batchId))?.status).toBe('cancelled');
    expect(view.documents.some((d) => d.status === 'indexed')).toBe(true);
    const unfinished = view.documents.filter((d) => d.status !== 'indexed');
    expect(unfinished.length).toBeGreaterThan(0);
    for (const d of unfinished) expect(d).toMatchObject({ status: 'cancelled', error: { code: 'cancelled' } });
    await expectVectorsMatchCatalog(view);
    // The run's search attribute says the same, for operators filtering in the Web UI.
    const described = await stack.client.workflow.getHandle(view.workflowId).describe();
    expect(described.searchAttributes.DocflowStatus).toEqual(['cancelled']);
  });

  it('`temporal workflow terminate` is settled by reconciliation: no batch stuck running, no partial vectors', async () => {
    embedDelayMs = 400;
    const batchId = await upload(6, 'cli-terminate');
    const live = await waitUntilPartlyIndexed(batchId);
    await temporal('workflow', 'terminate', '--workflow-id', live.workflowId, '--reason', 'operator test: terminate');
    embedDelayMs = 0;
    // Nothing in the workflow runs after a terminate, and a read never writes: the batch still
    // says running until the reconciliation schedule's run (started here as the schedule would) settles it.
    expect((await api(`/api/batches/${batchId}`)).status).toBe('running');
    expect((await stack.catalog.getBatch(TENANT, batchId))?.status).toBe('running');
    for (const deadline = Date.now() + 120_000; (await stack.catalog.getBatch(TENANT, batchId))?.status === 'running';) {
      // The terminated run's shards may still be closing; the next pass settles the batch then.
      if (Date.now() > deadline) throw new Error('reconciliation never settled the terminated batch');
      await stack.client.workflow.execute<() => Promise<ReconcileSummary>>('reconcileIndex', {
        taskQueue: stack.queues.index,
        workflowId: `reconcile-terminate-${randomUUID().slice(0, 8)}`,
        args: [],
      });
    }
    const view = await api(`/api/batches/${batchId}`);

    expect(view.status).toBe('cancelled');
    expect((await stack.catalog.getBatch(TENANT, batchId))?.status).toBe('cancelled');
    const indexed = view.documents.filter((d) => d.status === 'indexed');
    const unfinished = view.documents.filter((d) => d.status !== 'indexed');
    expect(indexed.length).toBeGreaterThan(0);
    expect(unfinished.length).toBeGreaterThan(0);
    for (const d of unfinished) {
      expect(d.status).toBe('cancelled');
      expect(d.error?.code).toBe('cancelled');
      expect(d.error?.message).toMatch(/cancel|terminat/i);
    }
    await expectVectorsMatchCatalog(view);
    expect((await stack.client.workflow.getHandle(view.workflowId).describe()).status.name).toBe('TERMINATED');
    // The settled batch can be retried like any cancelled one.
    const retry = await fetch(`${stack.baseUrl}/api/batches/${batchId}/retry`, { method: 'POST', headers: { authorization: `Bearer ${stack.apiKey}` } });
    expect(retry.status).toBe(202);
    const retried = await waitForBatch(stack.baseUrl, stack.apiKey, batchId, 120_000);
    expect(retried.status).toBe('completed');
    await expectVectorsMatchCatalog(retried);
  });

  it('`temporal workflow reset` re-runs a finished batch: the catalog goes back to running, then records the new outcome', async () => {
    const batchId = await upload(3, 'cli-reset');
    const first = await api(`/api/batches/${batchId}`);
    failEmbedFor.add(first.documents[1].documentId);
    const failed = await waitForBatch(stack.baseUrl, stack.apiKey, batchId, 120_000);
    expect(failed.status).toBe('completed_with_errors');
    expect(failed.documents[1]).toMatchObject({ status: 'failed', error: { code: 'internal_error' } });
    await expectVectorsMatchCatalog(failed);

    // The operator fixes the cause, then resets the run to its start from its history.
    failEmbedFor.clear();
    embedDelayMs = 300;
    await temporal('workflow', 'reset', '--workflow-id', failed.workflowId, '--type', 'FirstWorkflowTask', '--reason', 'operator test: embedder fixed');
    for (const deadline = Date.now() + 60_000; ;) {
      if ((await stack.catalog.getBatch(TENANT, batchId))?.status === 'running') break;
      if (Date.now() > deadline) throw new Error('the reset run never marked the batch running');
      await new Promise((r) => setTimeout(r, 100));
    }
    embedDelayMs = 0;
    const view = await waitForBatch(stack.baseUrl, stack.apiKey, batchId, 120_000);
    expect(view.status).toBe('completed');
    expect(view.documents.map((d) => d.status)).toEqual(['indexed', 'indexed', 'indexed']);
    expect((await stack.catalog.getBatch(TENANT, batchId))?.status).toBe('completed');
    // Progress keeps counting up across the reset, so SSE clients never see it go backwards.
    expect(view.seq).toBeGreaterThan(failed.seq);
    await expectVectorsMatchCatalog(view);
  });

  it('reconciliation removes an orphan point, restores a missing one, and marks an unrestorable document failed', async () => {
    const batchId = await upload(3, 'reconcile');
    const done = await waitForBatch(stack.baseUrl, stack.apiKey, batchId, 120_000);
    expect(done.status).toBe('completed');
    const [damaged, lost] = done.documents;
    expect(damaged.chunks).toBeGreaterThan(1);
    const damagedRecord = (await stack.catalog.getDocument(TENANT, damaged.documentId))!;
    const lostRecord = (await stack.catalog.getDocument(TENANT, lost.documentId))!;

    // Missing: one point of an indexed document disappears from the store.
    await stack.vectors.deletePoints(TENANT, [pointId(TENANT, damaged.documentId, damagedRecord.version, 1)]);
    // Orphan: a point whose document the catalog has never heard of.
    const dimensions = await stack.embedder.dimensions();
    const ghost = `ghost-${randomUUID().slice(0, 8)}`;
    await stack.vectors.upsert(TENANT, [
      {
        id: pointId(TENANT, ghost, 1, 0),
        vector: Array.from({ length: dimensions }, (_, i) => (i === 0 ? 1 : 0)),
        payload: plainPayload({ tenantId: TENANT, documentId: ghost, batchId, chunkIndex: 0, text: 'orphan', filename: 'ghost.txt' }),
      },
    ]);
    // Unrestorable: every point and every intermediate artifact of a document are gone.
    await stack.vectors.deleteDocument(TENANT, lost.documentId);
    await stack.blobs.deleteArtifacts(documentArtifactPrefix(TENANT, lost.documentId, lostRecord.version));

    const summary = await stack.client.workflow.execute<() => Promise<ReconcileSummary>>('reconcileIndex', {
      taskQueue: stack.queues.index,
      workflowId: `reconcile-test-${randomUUID().slice(0, 8)}`,
      args: [],
    });
    expect(summary).toMatchObject({ orphanPointsRemoved: 1, documentsRepaired: 1, pointsRestored: 1, documentsMarkedFailed: 1, tenantsFailed: [] });
    expect(await stack.vectors.countDocument(TENANT, ghost)).toBe(0);
    expect(await stack.vectors.countDocument(TENANT, damaged.documentId)).toBe(damaged.chunks);
    expect(await stack.vectors.listDocumentPointIds(TENANT, damaged.documentId)).toContain(pointId(TENANT, damaged.documentId, damagedRecord.version, 1));
    const lostNow = await fetch(`${stack.baseUrl}/api/documents/${lost.documentId}`, { headers: { authorization: `Bearer ${stack.apiKey}` } }).then((r) => r.json());
    expect(lostNow).toMatchObject({ status: 'failed', error: { code: 'internal_error', message: UNREPAIRABLE_MESSAGE } });

    // A second pass finds nothing left to do.
    const again = await stack.maintenance.reconcileTenant({ tenantId: TENANT });
    expect(again).toMatchObject({ orphanPointsRemoved: 0, stalePointsRemoved: 0, documentsRepaired: 0, documentsMarkedFailed: [] });
  });

  it('creates the schedules idempotently, updates them on a config change, and a triggered run reconciles', async () => {
    // Something to reconcile and compact, even when this test runs alone.
    expect((await waitForBatch(stack.baseUrl, stack.apiKey, await upload(1, 'schedules'), 120_000)).status).toBe('completed');
    const idPrefix = `test-${randomUUID().slice(0, 8)}-`;
    const settings = { taskQueue: stack.queues.index, idPrefix, reconcileEvery: '1h', retentionEvery: '24h' };
    try {
      const ids = await ensureSchedules(stack.client, settings);
      expect(await ensureSchedules(stack.client, settings)).toEqual(ids);
      expect(ids).toEqual([`${idPrefix}reconcile`, `${idPrefix}retention`]);
      await ensureSchedules(stack.client, { ...settings, reconcileEvery: '30m' });
      const reconcile = await stack.client.schedule.getHandle(`${idPrefix}reconcile`).describe();
      expect(reconcile.spec.intervals?.map((i) => i.every)).toEqual([30 * 60 * 1000]);
      expect(reconcile.action).toMatchObject({ type: 'startWorkflow', workflowType: 'reconcileIndex', taskQueue: stack.queues.index });
      const retention = await stack.client.schedule.getHandle(`${idPrefix}retention`).describe();
      expect(retention.action).toMatchObject({ workflowType: 'cleanUpRetention' });
      // An operator's pause survives the next worker start.
      await stack.client.schedule.getHandle(`${idPrefix}retention`).pause('operator test: investigating');
      await ensureSchedules(stack.client, settings);
      expect((await stack.client.schedule.getHandle(`${idPrefix}retention`).describe()).state.paused).toBe(true);

      await stack.client.schedule.getHandle(`${idPrefix}reconcile`).trigger();
      for (const deadline = Date.now() + 60_000; ;) {
        const actions = (await stack.client.schedule.getHandle(`${idPrefix}reconcile`).describe()).info.recentActions;
        const started = actions.at(-1)?.action;
        if (started) {
          const result = (await stack.client.workflow.getHandle(started.workflow.workflowId, started.workflow.firstExecutionRunId).result()) as ReconcileSummary;
          expect(result.tenants).toBeGreaterThan(0);
          expect(result.tenantsFailed).toEqual([]);
          break;
        }
        if (Date.now() > deadline) throw new Error('the triggered schedule started no workflow');
        await new Promise((r) => setTimeout(r, 250));
      }
      // The retention run: nothing is old enough to remove here, and each tenant's table is compacted.
      const retentionRun = await stack.client.workflow.execute<() => Promise<RetentionSummary>>('cleanUpRetention', {
        taskQueue: stack.queues.index,
        workflowId: `retention-test-${randomUUID().slice(0, 8)}`,
        args: [],
      });
      expect(retentionRun).toMatchObject({ artifactsRemoved: 0, uploadsRemoved: 0 });
      expect(retentionRun.documentsChecked).toBeGreaterThan(0);
      expect(retentionRun.compaction[TENANT]).toMatch(/fragments merged/);
      const search = await fetch(`${stack.baseUrl}/api/search`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'lighthouse keeper lamp', limit: 3 }),
      });
      expect(((await search.json()) as { results: unknown[] }).results.length).toBeGreaterThan(0);
    } finally {
      for (const name of ['reconcile', 'retention'])
        await stack.client.schedule
          .getHandle(`${idPrefix}${name}`)
          .delete()
          .catch(() => undefined);
    }
  });
});
