/**
 * Temporal's limits hold for a 10,000-document batch: no execution (batch, shard, or any
 * continued run) passes the 10,240-event history warning, and never more than 500 activities
 * are in flight. The real workflow code runs on a real worker against the real server; the
 * activities are 25 ms stand-ins, because this test is about the orchestration, not parsing.
 * In-flight activities are counted where they run (the worker); by construction each shard has
 * at most groupsInFlight + packsInFlight pipeline activities scheduled, so the server-side count
 * is bounded the same way.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { IndexActivities, ParseActivities } from '../activities/contracts.js';
import { BATCH_KEY, TENANT_KEY } from '../temporal/search-attribute-keys.js';
import { createIndexWorker, createParseWorker } from '../worker/workers.js';
import { sharedBundle } from '../test/stack.js';
import { testEnv } from '../test/env.js';
import { ingestBatchV2 } from './batch.js';
import { DEFAULT_FAN_OUT, type DocumentRef, type IngestBatchInput } from './definitions.js';

const DOCUMENTS = Number(process.env.SCALE_DOCUMENTS ?? 10_000);
const HISTORY_WARNING = 10_240;
const MAX_IN_FLIGHT = 500;

describe('a 10,000-document batch', () => {
  const inFlight = { now: 0, max: 0, total: 0 };
  const outcomes = new Map<string, string>();
  let finalStatus: string | undefined;
  const track = async <T>(work: () => T): Promise<T> => {
    inFlight.now++;
    inFlight.total++;
    inFlight.max = Math.max(inFlight.max, inFlight.now);
    try {
      // Held briefly so activities really overlap and the in-flight bound is exercised.
      await new Promise((r) => setTimeout(r, 25));
      return work();
    } finally {
      inFlight.now--;
    }
  };
  const index: IndexActivities = {
    loadShardDocuments: ({ offset, limit }) =>
      track(() =>
        Array.from({ length: Math.max(0, Math.min(limit, DOCUMENTS - offset)) }, (_, i): DocumentRef => ({
          documentId: `doc-${offset + i}`,
          filename: `doc-${offset + i}.txt`,
          format: 'txt',
          blobKey: 'sha256/00/none',
          version: 1,
          duplicateOf: null,
        })),
      ),
    indexChunks: ({ items }) => track(() => ({ items: items.map((i) => ({ documentId: i.documentId, start: i.start, ok: true as const, upserted: i.end - i.start })) })),
    embedChunks: () => track(() => ({ vectorsKey: 'v', dimensions: 4 })),
    upsertChunks: ({ start, end }) => track(() => ({ upserted: end - start })),
    recordOutcomes: ({ outcomes: list }) => track(() => void list.forEach((o) => outcomes.set(o.documentId, o.status))),
    removeDocumentVectors: () => track(() => undefined),
    cancelOpenDocuments: () => track(() => undefined),
    finalizeBatch: ({ status }) => track(() => void (finalStatus = status)),
    markBatchRunning: () => track(() => ({ seqBase: 0 })),
  };
  const parse: ParseActivities = {
    prepareDocuments: ({ documents }) => track(() => ({ documents: documents.map((d) => ({ documentId: d.documentId, ok: true as const, chunksKey: 'c', chunkCount: 1 })) })),
    parseDocument: () => track(() => ({ parsedKey: 'p', sections: 1, characters: 20 })),
    chunkDocument: () => track(() => ({ chunksKey: 'c', chunkCount: 1 })),
  };

  let client: Client;
  let native: NativeConnection;
  const workers: Worker[] = [];
  const runs: Promise<void>[] = [];
  const suffix = randomUUID().slice(0, 8);
  const queues = { index: `scale-index-${suffix}`, parse: `scale-parse-${suffix}` };

  beforeAll(async () => {
    const env = testEnv();
    client = new Client({ connection: await Connection.connect({ address: env.TEMPORAL_ADDRESS }), namespace: env.TEMPORAL_NAMESPACE });
    native = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS });
    const common = { connection: native, namespace: env.TEMPORAL_NAMESPACE, concurrency: 600 };
    workers.push(
      await createIndexWorker({ ...common, taskQueue: queues.index, activities: index, workflowBundle: await sharedBundle() }),
      await createParseWorker({ ...common, taskQueue: queues.parse, activities: parse }),
    );
    for (const w of workers) runs.push(w.run());
  });
  afterAll(async () => {
    for (const w of workers) w.shutdown();
    await Promise.allSettled(runs);
    await native?.close();
    await client?.connection.close();
  });

  it('stays under the history warning in every execution and under 500 activities in flight', async () => {
    const batchId = `scale-${suffix}`;
    const input: IngestBatchInput = {
      tenantId: 'scale',
      batchId,
      documentCount: DOCUMENTS,
      parseQueue: queues.parse,
      // More aggressive than the defaults: 8 shards at once, 128 documents in flight in each.
      fanOut: { shardsInFlight: 8, documentsInFlight: 128 },
    };
    const handle = await client.workflow.start(ingestBatchV2, {
      taskQueue: queues.index,
      workflowId: `ingest-scale-${batchId}`,
      args: [input],
      typedSearchAttributes: new TypedSearchAttributes([
        { key: TENANT_KEY, value: 'scale' },
        { key: BATCH_KEY, value: batchId },
      ]),
    });
    const result = await handle.result();
    expect(result.status).toBe('completed');
    expect(finalStatus).toBe('completed');
    expect(outcomes.size).toBe(DOCUMENTS);
    expect([...outcomes.values()].every((s) => s === 'indexed')).toBe(true);
    expect(inFlight.max).toBeLessThanOrEqual(MAX_IN_FLIGHT);
    expect(inFlight.max).toBeGreaterThan(8); // the fan-out really ran in parallel (measured ~25-30 on 2 cores)

    const lengths: number[] = [];
    for await (const run of client.workflow.list({ query: `DocflowBatch = '${batchId}'` })) {
      const length = run.historyLength ?? (await client.workflow.getHandle(run.workflowId, run.runId).describe()).historyLength;
      lengths.push(length);
    }
    expect(lengths.length).toBeGreaterThanOrEqual(1 + DOCUMENTS / DEFAULT_FAN_OUT.shardSize);
    expect(Math.max(...lengths)).toBeLessThan(HISTORY_WARNING);
    console.log(`10k batch: ${lengths.length} executions, longest history ${Math.max(...lengths)} events, max ${inFlight.max} activities in flight, ${inFlight.total} activities`);
  }, 1_200_000);
});
