/**
 * What maintenance needs to know about workflow runs, as an interface: the Temporal-backed
 * implementation is in `adapters/temporal-runs.ts`; unit tests hand in a table.
 */

/** The state of the latest run of a workflow id, in the catalog's lower-case vocabulary. */
export type RunState = 'running' | 'completed' | 'failed' | 'cancelled' | 'terminated' | 'timed_out' | 'continued_as_new' | 'not_found';

export interface RunInspector {
  runState(workflowId: string): Promise<RunState>;
  /**
   * Open shard workflows of one batch run. A batch closed by `terminate` asks its shards to
   * cancel (parent close policy); they clean up their partial vectors before they end.
   */
  openShards(batchId: string, batchWorkflowId: string): Promise<number>;
}
