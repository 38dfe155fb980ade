/** Workflow bundle entry: every workflow type the workers register. */
export { ingestBatchV2 } from './batch.js';
export { ingestShardV2 } from './shard.js';
// Runs started before grouped steps finish on the code they started with.
export { ingestBatch } from './legacy/ingest-batch.js';
export { ingestShard } from './legacy/ingest-shard.js';
export { reconcileIndex, cleanUpRetention } from './maintenance.js';
export { switchEmbeddingModel } from './model-switch.js';
