/**
 * The activity proxies, one per group, defined once and shared by every workflow (the batch,
 * its shards, and the runs recorded before grouped steps in ./legacy/).
 */
import { ActivityCancellationType, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { IndexActivities, ParseActivities } from '../activities/contracts.js';

/**
 * Pipeline steps get one attempt per activity: the workflow retries per document, so progress
 * shows each attempt and its error. A heartbeat every 5 s means 30 s of silence is a dead worker.
 * On cancel the workflow waits until a step has really stopped: otherwise an upsert could land
 * after the clean-up removed the document's vectors and leave orphans behind.
 */
const PIPELINE_STEP = {
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { maximumAttempts: 1 },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
} as const;

/** Idempotent and cheap: Temporal retries them without limit; a short timeout makes a dead worker cost seconds. */
const BOOKKEEPING = {
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
} as const;

/** Parse and chunk, on the parse pool's queue. */
export const parseSteps = (taskQueue: string) => proxyActivities<ParseActivities>({ ...PIPELINE_STEP, taskQueue });

/** Embed and upsert, on the workflow's own (index) queue. */
export const indexSteps = proxyActivities<IndexActivities>(PIPELINE_STEP);

/** Bookkeeping as regular activities: vector clean-up (it may take a while), and the legacy runs' catalog writes. */
export const bookkeeping = proxyActivities<IndexActivities>(BOOKKEEPING);

/**
 * Catalog reads and writes as local activities: they run on the worker that runs the workflow,
 * one marker event each instead of a scheduled/started/completed triple and a task round trip.
 */
export const localBookkeeping = proxyLocalActivities<IndexActivities>(BOOKKEEPING);
