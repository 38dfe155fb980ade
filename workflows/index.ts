/** Workflow bundle entry: every workflow type the workers register. */
export { ingestBatch } from './ingest-batch.js';
export { ingestShard } from './ingest-shard.js';
export { reconcileIndex, cleanUpRetention } from './maintenance.js';
