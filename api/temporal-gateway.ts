/**
 * Everything the API asks of Temporal, in one module: start a batch, read its progress.
 * Routes never hold a Temporal client directly, which keeps tenant checks in front of it.
 * The batch workflow is started by function reference, so a rename is a compile error here.
 */
import { Client, QueryRejectedError, WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, WorkflowNotFoundError } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { ingestBatchV2 } from '../workflows/batch.js';
import { modelSwitchProgressQuery, modelSwitchWorkflowId, switchEmbeddingModel, type ModelSwitchProgress } from '../workflows/model-switch.js';
import {
  INDEX_QUEUE,
  PARSE_QUEUE,
  batchChangesQuery,
  batchWorkflowId,
  shardChangesQuery,
  type BatchChanges,
  type FanOutOptions,
  type ReindexOptions,
  type ShardChanges,
} from '../workflows/definitions.js';
import { createJsonLogger, type Logger } from '../core/logger.js';
import { BATCH_KEY, DOCUMENT_COUNT_KEY, STATUS_KEY, TENANT_KEY } from '../temporal/search-attribute-keys.js';

/** The run of this batch already exists (running or ended): a repeated start is a no-op, not a failure. */
export class BatchAlreadyStartedError extends Error {
  constructor(readonly workflowId: string) {
    super(`workflow ${workflowId} was already started`);
    this.name = 'BatchAlreadyStartedError';
  }
}

export interface TemporalGateway {
  /** Starts run `run` of a batch; with `reindex`, the run builds its documents' next version. */
  startBatch(input: {
    tenantId: string;
    batchId: string;
    documentCount: number;
    filenames: string[];
    fanOut?: Partial<FanOutOptions>;
    run?: number;
    reindex?: ReindexOptions;
  }): Promise<string>;
  /**
   * The batch's status and shards, with the documents of shards that finished after `sinceSeq`;
   * null when the workflow cannot be queried (closed, gone, or no worker answering in time).
   */
  batchChanges(workflowId: string, sinceSeq: number): Promise<BatchChanges | null>;
  /** A running shard's documents that changed after `sinceSeq` (-1: all of them); null as above. */
  shardChanges(workflowId: string, sinceSeq: number): Promise<ShardChanges | null>;
  /** Requests cancellation; the workflow cleans up partial vectors before it ends. */
  cancelBatch(workflowId: string): Promise<void>;
  /** Starts the tenant's embedding-model switch; returns its workflow id, or null when one is already running. */
  startModelSwitch(tenantId: string, model: string): Promise<string | null>;
  /** The tenant's latest switch, running or ended (its last state); null when there is none. */
  modelSwitch(tenantId: string): Promise<(ModelSwitchProgress & { workflowId: string; running: boolean }) | null>;
  /** Requests cancellation of the running switch; false when none runs. */
  cancelModelSwitch(tenantId: string): Promise<boolean>;
  health(): Promise<{ ok: boolean; detail: string }>;
}

/** Memo carries file names for people reading runs in the Web UI; capped to stay small. */
export const MEMO_FILENAMES = 50;

/** Queue names, overridable so several deployments (or test runs) can share one Temporal. */
export interface TaskQueues {
  index: string;
  parse: string;
}

export interface GatewayOptions {
  /** How long a model switch keeps the replaced collection after the swap (the workflow's default when unset). */
  modelSwitchRetireAfterMs?: number;
}

export function createTemporalGateway(
  client: Client,
  queues: TaskQueues = { index: INDEX_QUEUE, parse: PARSE_QUEUE },
  logger: Logger = createJsonLogger(),
  options: GatewayOptions = {},
): TemporalGateway {
  // A closed run still answers queries (a worker replays its history) with its last state, which
  // for a terminated run is "running" forever. Batch queries are refused once the run is closed,
  // so the caller learns it ended and can settle it (see readBatchView).
  const openRunsOnly = new Client({ connection: client.connection, namespace: client.options.namespace, workflow: { queryRejectCondition: 'NOT_OPEN' } });
  const query = async <T>(workflowId: string, run: () => Promise<T>): Promise<T | null> => {
    try {
      return await run();
    } catch (err) {
      // A refused query of a closed run is expected (see openRunsOnly); anything else is worth a line.
      if (!(err instanceof QueryRejectedError)) {
        logger.warn('workflow query failed', { workflowId, error: (err as Error).message });
      }
      return null;
    }
  };
  return {
    async startBatch({ tenantId, batchId, documentCount, filenames, fanOut, run = 1, reindex }) {
      const workflowId = batchWorkflowId(tenantId, batchId, run);
      await startOnce(workflowId, () =>
        client.workflow.start(ingestBatchV2, {
          taskQueue: queues.index,
          workflowId,
          args: [{ tenantId, batchId, documentCount, fanOut, parseQueue: queues.parse, run, ...(reindex ? { reindex } : {}) }],
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          typedSearchAttributes: new TypedSearchAttributes([
            { key: TENANT_KEY, value: tenantId },
            { key: BATCH_KEY, value: batchId },
            { key: DOCUMENT_COUNT_KEY, value: documentCount },
            { key: STATUS_KEY, value: 'running' },
          ]),
          memo: { filenames: filenames.slice(0, MEMO_FILENAMES), fileCount: documentCount },
        }),
      );
      return workflowId;
    },
    batchChanges(workflowId, sinceSeq) {
      return query(workflowId, () => openRunsOnly.workflow.getHandle(workflowId).query(batchChangesQuery, sinceSeq));
    },
    shardChanges(workflowId, sinceSeq) {
      return query(workflowId, () => client.workflow.getHandle(workflowId).query(shardChangesQuery, sinceSeq));
    },
    async cancelBatch(workflowId) {
      await client.workflow.getHandle(workflowId).cancel();
    },
    async startModelSwitch(tenantId, model) {
      const workflowId = modelSwitchWorkflowId(tenantId);
      try {
        await client.workflow.start(switchEmbeddingModel, {
          taskQueue: queues.index,
          workflowId,
          args: [{ tenantId, model, ...(options.modelSwitchRetireAfterMs !== undefined ? { retireAfterMs: options.modelSwitchRetireAfterMs } : {}) }],
          // One switch per tenant at a time; a new one may follow once the last has ended.
          workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
          typedSearchAttributes: new TypedSearchAttributes([{ key: TENANT_KEY, value: tenantId }]),
        });
        return workflowId;
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) return null;
        throw err;
      }
    },
    async modelSwitch(tenantId) {
      const workflowId = modelSwitchWorkflowId(tenantId);
      const handle = client.workflow.getHandle(workflowId);
      try {
        const running = (await handle.describe()).status.name === 'RUNNING';
        // A closed run still answers with its last state: a worker replays its history.
        const progress = await handle.query(modelSwitchProgressQuery);
        return { ...progress, workflowId, running };
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return null;
        throw err;
      }
    },
    async cancelModelSwitch(tenantId) {
      const handle = client.workflow.getHandle(modelSwitchWorkflowId(tenantId));
      try {
        if ((await handle.describe()).status.name !== 'RUNNING') return false;
        await handle.cancel();
        return true;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      }
    },
    async health() {
      try {
        await client.workflowService.getSystemInfo({});
        return { ok: true, detail: `namespace ${client.options.namespace}` };
      } catch (err) {
        return { ok: false, detail: (err as Error).message };
      }
    },
  };
}

// REJECT_DUPLICATE makes a second start of the same run id fail whatever state the first is in;
// that is how a replayed upload learns its run exists without starting a second one.
async function startOnce(workflowId: string, start: () => Promise<unknown>): Promise<void> {
  try {
    await start();
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) throw new BatchAlreadyStartedError(workflowId);
    throw err;
  }
}
