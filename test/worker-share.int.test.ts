/**
 * Scale-out and graceful drain: two worker processes (`worker/main.ts --queue all`) poll the same
 * task queues and share one batch, so both identities show up in the workflow histories. Then
 * one of them gets SIGTERM while it has activities running: it must stop taking work, let those
 * activities complete (not cancel or fail them), and exit 0 within its shutdown grace, while the
 * other worker finishes the batch with every document indexed.
 */
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchView } from '../core/contracts.js';
import { makeText } from './fixtures/documents.js';
import { uploadBatch, waitForBatch } from './http.js';
import { startStack, type Stack } from './stack.js';
import { startWorkerProcess, type WorkerProcess } from './worker-process.js';

const IDENTITY_A = 'docflow-worker-a@worker-share-test';
const IDENTITY_B = 'docflow-worker-b@worker-share-test';
const GRACE_MS = 30_000;
/** Small documents (one embed step each) keep the test quick; 16 still keep both workers busy. */
const DOCUMENTS = 16;
/** Two shards of 8, so the activities are spread over more than one child workflow. */
const FAN_OUT = { shardSize: 8, shardsInFlight: 2, documentsInFlight: 4, chunksPerStep: 4 };
/** temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED */
const PENDING_ACTIVITY_STARTED = 2;

type WorkflowHandle = ReturnType<Client['workflow']['getHandle']>;
type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

interface RunningActivity {
  workflowId: string;
  activityId: string;
  activityType: string;
}

async function getView(stack: Stack, batchId: string): Promise<BatchView> {
  const res = await fetch(`${stack.baseUrl}/api/batches/${batchId}`, { headers: { authorization: `Bearer ${stack.apiKey}` } });
  return (await res.json()) as BatchView;
}

/** The batch workflow and its shard children that exist so far. */
async function workflowIds(stack: Stack, batchWorkflowId: string): Promise<string[]> {
  const ids = [batchWorkflowId];
  for (let shard = 0; shard * FAN_OUT.shardSize < DOCUMENTS; shard++) {
    const id = `${batchWorkflowId}-shard-${shard}`;
    try {
      await stack.client.workflow.getHandle(id).describe();
      ids.push(id);
    } catch {
      // Not started yet.
    }
  }
  return ids;
}

async function histories(stack: Stack, ids: string[]): Promise<Map<string, HistoryEvent[]>> {
  const out = new Map<string, HistoryEvent[]>();
  for (const id of ids) out.set(id, (await stack.client.workflow.getHandle(id).fetchHistory()).events ?? []);
  return out;
}

/** Identity of the worker that completed each activity, per workflow. */
function completedBy(events: HistoryEvent[]): string[] {
  return events.flatMap((e) => (e.activityTaskCompletedEventAttributes ? [e.activityTaskCompletedEventAttributes.identity ?? ''] : []));
}

/** Activities the server currently counts as running on `identity`. */
async function runningOn(stack: Stack, ids: string[], identity: string): Promise<RunningActivity[]> {
  const running: RunningActivity[] = [];
  for (const workflowId of ids) {
    const { raw } = await stack.client.workflow.getHandle(workflowId).describe();
    for (const p of raw.pendingActivities ?? []) {
      if (p.state === PENDING_ACTIVITY_STARTED && p.lastWorkerIdentity === identity) {
        running.push({ workflowId, activityId: p.activityId ?? '', activityType: p.activityType?.name ?? '' });
      }
    }
  }
  return running;
}

function eventTimeMs(e: HistoryEvent): number {
  return Number(String(e.eventTime?.seconds ?? 0)) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
}

/**
 * Whether the server ends a stopping worker's long polls itself (namespace capability
 * workerPollCompleteOnShutdown, enabled by the dynamic config
 * frontend.enableCancelWorkerPollsOnShutdown). Then the SDK does not interrupt them and no task
 * can be lost at shutdown.
 */
async function serverCompletesPollsOnShutdown(stack: Stack): Promise<boolean> {
  const { namespaceInfo } = await stack.client.workflowService.describeNamespace({ namespace: stack.client.options.namespace });
  return namespaceInfo?.capabilities?.workerPollCompleteOnShutdown === true;
}

/**
 * Without that capability the SDK interrupts its open long polls on shutdown, and a task the
 * server hands to such a poll at that instant is recorded as started on the stopping worker but
 * never reaches it (a known Temporal limitation, not a drain failure: the worker never ran it).
 * It shows as a timeout of an activity started on A no earlier than the signal, and the
 * workflow retries it on B once the 30 s heartbeat timeout passes.
 */
function lostInTransit(timedOut: HistoryEvent, events: HistoryEvent[], signalledAt: number): boolean {
  const startedEventId = String(timedOut.activityTaskTimedOutEventAttributes?.startedEventId);
  const started = events.find((e) => String(e.eventId) === startedEventId);
  // One second of slack: the server stamps the event, the test reads its own clock.
  return started?.activityTaskStartedEventAttributes?.identity === IDENTITY_A && eventTimeMs(started) >= signalledAt - 1_000;
}

describe('two worker processes on one queue', () => {
  let stack: Stack;
  const workers: WorkerProcess[] = [];
  beforeAll(async () => {
    stack = await startStack({ withoutWorkers: true, fanOut: FAN_OUT });
  });
  afterAll(async () => {
    for (const w of workers) w.signal('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await stack?.close();
  });

  it('share a batch, and SIGTERM drains one of them without failing any document', async () => {
    // LOG_LEVEL info: the test reads the workers' start and drain lines.
    const env = { ...stack.workerEnv, LOG_LEVEL: 'info', PARSE_CONCURRENCY: '2', INDEX_CONCURRENCY: '4', WORKER_SHUTDOWN_GRACE: `${GRACE_MS / 1000}s` };
    const a = startWorkerProcess({ env, args: ['--queue', 'all', '--identity', IDENTITY_A], label: 'worker a' });
    const b = startWorkerProcess({ env: { ...env, WORKER_IDENTITY: IDENTITY_B }, args: ['--queue', 'all'], label: 'worker b' });
    workers.push(a, b);
    // Both must be polling before the upload, or the first one up takes the whole batch.
    const [startedA, startedB] = await Promise.all([a.waitForLog('worker started'), b.waitForLog('worker started')]);
    expect(startedA.identity).toBe(IDENTITY_A);
    expect(startedB.identity).toBe(IDENTITY_B);

    const files = Array.from({ length: DOCUMENTS }, (_, i) => ({
      name: `shared-${i}.txt`,
      bytes: makeText(Array.from({ length: 2 }, (_, p) => `Document ${i} section ${p} covers topic ${i * 2 + p}. ${'workers share the queue fairly '.repeat(12)}`).join('\n\n')),
    }));
    const upload = await uploadBatch(stack.baseUrl, stack.apiKey, files);
    expect(upload.status).toBe(202);
    const batchId: string = upload.body.batchId;
    const batchWorkflowId = (await getView(stack, batchId)).workflowId;

    // Wait until both workers have completed work and A has activities running right now.
    let inFlightOnA: RunningActivity[] = [];
    const deadline = Date.now() + 60_000;
    for (;;) {
      const ids = await workflowIds(stack, batchWorkflowId);
      const done = [...(await histories(stack, ids)).values()].flatMap(completedBy);
      if (done.includes(IDENTITY_A) && done.includes(IDENTITY_B)) {
        inFlightOnA = await runningOn(stack, ids, IDENTITY_A);
        if (inFlightOnA.length > 0) break;
      }
      if ((await getView(stack, batchId)).status !== 'running') throw new Error('the batch ended before worker A could be stopped mid-work; make it bigger');
      if (Date.now() > deadline) throw new Error(`workers never both completed work with A busy (completed by: ${JSON.stringify(done)})`);
      await new Promise((r) => setTimeout(r, 100));
    }

    const signalledAt = Date.now();
    a.signal('SIGTERM');
    const exitA = await a.exited;
    const drainMs = Date.now() - signalledAt;
    expect(exitA).toEqual({ code: 0, signal: null });
    expect(drainMs).toBeLessThan(GRACE_MS);
    const draining = a.logs.find((l) => l.msg === 'worker draining');
    const drained = a.logs.find((l) => l.msg === 'worker drained');
    expect(draining, JSON.stringify(a.logs)).toMatchObject({ signal: 'SIGTERM', graceMs: GRACE_MS, identity: IDENTITY_A });
    expect(draining!.inFlightActivities).toBeGreaterThanOrEqual(1);
    expect(drained, JSON.stringify(a.logs)).toMatchObject({ signal: 'SIGTERM', inFlightActivities: 0 });
    expect(a.logs.some((l) => l.msg === 'worker stopped')).toBe(true);

    // B alone finishes the batch with every document indexed.
    // 90 s: room for one lost task's 30 s heartbeat timeout (see lostInTransit).
    const view = await waitForBatch(stack.baseUrl, stack.apiKey, batchId, 90_000);
    expect(view.status).toBe('completed');
    expect(view.documents).toHaveLength(DOCUMENTS);
    for (const doc of view.documents) {
      expect(doc.status, `${doc.filename}: ${JSON.stringify(doc.error)}`).toBe('indexed');
    }
    expect(b.child.exitCode).toBeNull();

    const ids = await workflowIds(stack, batchWorkflowId);
    expect(ids.length).toBe(1 + Math.ceil(DOCUMENTS / FAN_OUT.shardSize));
    const all = await histories(stack, ids);
    const startedBy = new Set([...all.values()].flat().flatMap((e) => (e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.identity] : [])));
    expect(startedBy).toContain(IDENTITY_A);
    expect(startedBy).toContain(IDENTITY_B);

    // Drained means finished: nothing anywhere failed or was cancelled, and no activity timed
    // out except the one kind of loss described at lostInTransit().
    const pollsCompleteOnShutdown = await serverCompletesPollsOnShutdown(stack);
    const tolerated: HistoryEvent[] = [];
    for (const [workflowId, events] of all) {
      const troubled = events.filter((e) => {
        if (e.activityTaskFailedEventAttributes || e.activityTaskCancelRequestedEventAttributes || e.activityTaskCanceledEventAttributes) return true;
        if (!e.activityTaskTimedOutEventAttributes) return false;
        if (!pollsCompleteOnShutdown && lostInTransit(e, events, signalledAt)) {
          tolerated.push(e);
          return false;
        }
        return true;
      });
      expect(troubled, `${workflowId}: ${JSON.stringify(troubled)}`).toEqual([]);
    }
    if (tolerated.length > 0) {
      console.warn(`worker-share: ${tolerated.length} activity task(s) handed to worker A's interrupted poll were retried after their heartbeat timeout`);
    }

    // The activities A was running when it got SIGTERM completed afterwards, on A.
    const completedByAAfterSignal = [...all.values()].flat().filter((e) => e.activityTaskCompletedEventAttributes?.identity === IDENTITY_A && eventTimeMs(e) >= signalledAt);
    expect(completedByAAfterSignal.length).toBeGreaterThanOrEqual(draining!.inFlightActivities as number);
    for (const running of inFlightOnA) {
      const events = all.get(running.workflowId)!;
      const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityId === running.activityId);
      expect(scheduled, `${running.activityType} ${running.activityId} in ${running.workflowId}`).toBeDefined();
      const outcome = events.find(
        (e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? e.activityTaskTimedOutEventAttributes?.scheduledEventId) === String(scheduled!.eventId),
      );
      if (outcome && tolerated.includes(outcome)) continue;
      expect(outcome?.activityTaskCompletedEventAttributes, `${running.activityType} ${running.activityId} did not complete`).toBeDefined();
      expect(outcome!.activityTaskCompletedEventAttributes!.identity).toBe(IDENTITY_A);
    }

    // An idle worker drains at once and exits cleanly too.
    b.signal('SIGTERM');
    expect(await b.exited).toEqual({ code: 0, signal: null });
  });
});
