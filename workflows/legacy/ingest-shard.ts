/**
 * The shard workflow of runs started before grouped steps (type `ingestShard`), kept so those
 * runs finish and their recorded histories replay; new shards run `ingestShardV2` (../shard.ts).
 *
 * One shard of a batch: up to `shardSize` documents, each taken through parse → chunk →
 * (embed → upsert) per chunk range, a bounded number at a time. Sharding keeps each execution's
 * history small however large the batch; a shard that still grows past its event budget
 * continues as new with its state carried over.
 */
import { CancellationScope, continueAsNew, isCancellation, setHandler, workflowInfo } from '@temporalio/workflow';
import { isTerminalDocument, queuedDocument, type DocumentProgress } from '../../core/progress.js';
import { shardChangesQuery, shardProgressQuery, type DocumentRef, type IngestShardInput, type ShardResult } from '../definitions.js';
import { bookkeeping, indexSteps as indexActs, parseSteps as parseActivities } from '../proxies.js';
import { OutcomeRecorder } from '../outcomes.js';
import { runStep, StepFailed, type StepRetryPolicy } from './run-step.js';

const PARSE_RETRY: StepRetryPolicy = { maxAttempts: 3, initialDelayMs: 2_000, maxDelayMs: 30_000 };
const INDEX_RETRY: StepRetryPolicy = { maxAttempts: 10, initialDelayMs: 1_000, maxDelayMs: 60_000 };

/** Workflow entry point for one shard of a batch. */
export async function ingestShard(input: IngestShardInput): Promise<ShardResult> {
  const { tenantId, batchId, fanOut } = input;
  const parseActs = parseActivities(input.parseQueue);
  let seq = input.carried?.seq ?? 0;
  let documents: DocumentProgress[] = input.carried?.documents ?? [];
  // Registered before the first await, so a query that arrives while the shard loads its
  // documents gets an (empty) answer instead of an error.
  setHandler(shardProgressQuery, () => ({ shardIndex: input.shardIndex, documents, seq }));
  // The progress reader's query; these runs answer it with every document each time.
  setHandler(shardChangesQuery, () => ({ shardIndex: input.shardIndex, documents, seq }));
  const touch = () => {
    seq++;
  };
  const refs: DocumentRef[] = input.carried?.refs ?? (await bookkeeping.loadShardDocuments({ tenantId, batchId, run: input.run ?? 1, offset: input.offset, limit: input.limit }));
  if (!input.carried) documents = refs.map((ref) => initialProgress(ref));

  const outcomes = new OutcomeRecorder((list) => bookkeeping.recordOutcomes({ tenantId, batchId, outcomes: list }));
  if (!input.carried) {
    for (const doc of documents) if (doc.status === 'skipped') outcomes.add(doc);
  }

  const pending = documents.map((_, i) => i).filter((i) => !isTerminalDocument(documents[i].status));
  let cancelled = false;
  let budgetReached = false;

  const processOne = async (i: number): Promise<void> => {
    const doc = documents[i];
    const ref = refs[i];
    const base = { tenantId, batchId, documentId: ref.documentId, version: ref.version };
    doc.startedAt ??= Date.now();
    const enter = (status: DocumentProgress['status']) => (attempt: number, lastError: DocumentProgress['error']) => {
      doc.status = status;
      doc.attempt = attempt;
      doc.error = lastError;
      touch();
    };
    try {
      const parsed = await runStep(PARSE_RETRY, () => parseActs.parseDocument({ ...base, format: ref.format, blobKey: ref.blobKey }), enter('parsing'));
      const chunked = await runStep(PARSE_RETRY, () => parseActs.chunkDocument({ ...base, parsedKey: parsed.parsedKey, groupSize: fanOut.chunksPerStep }), enter('chunking'));
      doc.chunksTotal = chunked.chunkCount;
      doc.chunks = 0;
      for (let start = 0; start < chunked.chunkCount; start += fanOut.chunksPerStep) {
        const range = { ...base, chunksKey: chunked.chunksKey, start, end: Math.min(chunked.chunkCount, start + fanOut.chunksPerStep) };
        const embedded = await runStep(INDEX_RETRY, () => indexActs.embedChunks(range), enter('embedding'));
        const written = await runStep(INDEX_RETRY, () => indexActs.upsertChunks({ ...range, vectorsKey: embedded.vectorsKey, filename: ref.filename }), enter('embedding'));
        doc.chunks += written.upserted;
        touch();
      }
      finish(doc, 'indexed', null);
    } catch (err) {
      if (isCancellation(err)) {
        cancelled = true;
        return;
      }
      const error = err instanceof StepFailed ? { code: err.code, message: err.message } : { code: 'internal_error' as const, message: String(err) };
      if (doc.chunksTotal !== null) {
        // A document that fails half-way must not stay half-searchable.
        await bookkeeping.removeDocumentVectors({ tenantId, documentIds: [doc.documentId] });
        doc.chunks = 0;
      }
      finish(doc, 'failed', error);
    }
    outcomes.add(doc);
  };

  const finish = (doc: DocumentProgress, status: DocumentProgress['status'], error: DocumentProgress['error']) => {
    doc.status = status;
    doc.error = error;
    doc.finishedAt = Date.now();
    touch();
  };

  let lanesRunning = 0;
  const lane = async () => {
    lanesRunning++;
    try {
      while (pending.length > 0 && !cancelled) {
        if (workflowInfo().historyLength > fanOut.historyEventBudget) {
          budgetReached = true;
          return;
        }
        await processOne(pending.shift()!);
      }
    } finally {
      lanesRunning--;
    }
  };

  try {
    await Promise.all([...Array.from({ length: Math.min(fanOut.documentsInFlight, pending.length) }, lane), outcomes.run(() => lanesRunning > 0)]);
  } catch (err) {
    if (!isCancellation(err)) throw err;
    cancelled = true;
  }

  if (cancelled || CancellationScope.current().consideredCancelled) {
    await CancellationScope.nonCancellable(async () => {
      const stopped = documents.filter((d) => !isTerminalDocument(d.status));
      for (const doc of stopped) finish(doc, 'cancelled', { code: 'cancelled', message: 'The batch was cancelled before this document was indexed.' });
      if (stopped.length > 0) {
        // Partial vectors of unfinished documents must not stay searchable.
        await bookkeeping.removeDocumentVectors({ tenantId, documentIds: stopped.map((d) => d.documentId) });
      }
      for (const doc of stopped) outcomes.add(doc);
      await outcomes.flush();
    });
    return { documents, seq };
  }

  await outcomes.flush();
  if (budgetReached && documents.some((d) => !isTerminalDocument(d.status))) {
    await continueAsNew<typeof ingestShard>({ ...input, carried: { refs, documents, seq } });
  }
  return { documents, seq };
}

function initialProgress(ref: DocumentRef): DocumentProgress {
  const doc = queuedDocument(ref.documentId);
  if (ref.duplicateOf) {
    doc.status = 'skipped';
  }
  return doc;
}
