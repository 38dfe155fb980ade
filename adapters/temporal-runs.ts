/**
 * RunInspector over a Temporal client: describe for one run, visibility for a batch's shards.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { RunInspector, RunState } from './run-inspector.js';
import { BATCH_KEY } from '../temporal/search-attribute-keys.js';

const STATES: Record<string, RunState> = {
  RUNNING: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed_out',
  CONTINUED_AS_NEW: 'continued_as_new',
};

/** A visibility-query string literal: the ids are validated already, quotes are escaped regardless. */
const literal = (value: string) => `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;

export function createTemporalRunInspector(client: Client): RunInspector {
  return {
    async runState(workflowId) {
      try {
        const description = await client.workflow.getHandle(workflowId).describe();
        return STATES[description.status.name] ?? 'running';
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return 'not_found';
        throw err;
      }
    },
    async openShards(batchId, batchWorkflowId) {
      const prefix = `${batchWorkflowId}-shard-`;
      let open = 0;
      const query = `${BATCH_KEY.name} = ${literal(batchId)} AND ExecutionStatus = 'Running'`;
      for await (const execution of client.workflow.list({ query })) {
        if (execution.workflowId.startsWith(prefix)) open++;
      }
      return open;
    },
  };
}
