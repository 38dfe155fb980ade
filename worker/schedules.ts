/**
 * The Temporal Schedules of a deployment, created idempotently when an index worker starts
 * (the job Celery beat did in the old design). Creating an existing schedule updates it to
 * the current configuration instead, so a config change takes effect at the next start and
 * several workers starting at once end with the same result.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptionsAction, type ScheduleSpec } from '@temporalio/client';

export interface ScheduleSettings {
  /** Queue of the index pool, where the maintenance workflows and activities run. */
  taskQueue: string;
  /** Prefix of the schedule ids; lets two deployments (or test runs) share a namespace. */
  idPrefix: string;
  /** How often reconciliation runs, as a Temporal duration ('15m', '1h'). */
  reconcileEvery: string;
  /** How often retention clean-up runs. */
  retentionEvery: string;
}

export interface ScheduleDefinition {
  scheduleId: string;
  spec: ScheduleSpec;
  action: ScheduleOptionsAction;
  note: string;
}

/** The schedules this configuration asks for. */
export function scheduleDefinitions(settings: ScheduleSettings): ScheduleDefinition[] {
  const define = (name: string, workflowType: string, every: string, note: string): ScheduleDefinition => ({
    scheduleId: `${settings.idPrefix}${name}`,
    spec: { intervals: [{ every }] },
    // A fixed workflow id per schedule: at most one run of each can exist at a time.
    action: { type: 'startWorkflow', workflowType, taskQueue: settings.taskQueue, args: [], workflowId: `${settings.idPrefix}${name}` },
    note,
  });
  return [
    define('reconcile', 'reconcileIndex', settings.reconcileEvery, 'Settle ended runs; catalog versus vector store, per document.'),
    define('retention', 'cleanUpRetention', settings.retentionEvery, 'Remove expired intermediate artifacts and uploads.'),
  ];
}

// A run still going when the next is due is left alone; a missed run (server down) is not replayed.
const POLICIES = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' } as const;

/** Creates or updates every schedule; returns their ids. */
export async function ensureSchedules(client: Client, settings: ScheduleSettings): Promise<string[]> {
  const ids: string[] = [];
  for (const def of scheduleDefinitions(settings)) {
    try {
      await client.schedule.create({ scheduleId: def.scheduleId, spec: def.spec, action: def.action, policies: POLICIES, state: { note: def.note } });
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      await client.schedule.getHandle(def.scheduleId).update((previous) => ({
        ...previous,
        spec: def.spec,
        action: def.action,
        policies: POLICIES,
        state: { ...previous.state, note: def.note },
      }));
    }
    ids.push(def.scheduleId);
  }
  return ids;
}
