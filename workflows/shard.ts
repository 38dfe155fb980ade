/**
 * One shard of a batch: load its documents, run them through the document pipeline, record
 * their outcomes, and clean up after a cancel. Sharding keeps each execution's history small
 * however large the batch; a shard that still grows past its event budget continues as new
 * with its state carried over.
 */
import { CancellationScope, continueAsNew, isCancellation, setHandler } from '@temporalio/workflow';
import { isTerminalDocument, queuedDocument, type DocumentProgress } from '../core/progress.js';
import { shardChangesQuery, type DocumentRef, type IngestShardInput, type ShardResult } from './definitions.js';
import { DocumentPipeline } from './document-pipeline.js';
import { OutcomeRecorder } from './outcomes.js';
import { bookkeeping, localBookkeeping } from './proxies.js';

/** Workflow entry point for one shard of a batch. */
export async function ingestShardV2(input: IngestShardInput): Promise<ShardResult> {
  const { tenantId, batchId } = input;
  let seq = input.carried?.seq ?? 0;
  let documents: DocumentProgress[] = input.carried?.documents ?? [];
  // The seq at which each document last changed, so a reader gets only what changed since its last poll.
  let changedAt: number[] = documents.map(() => seq);
  // Registered before the first await, so a reader that comes early gets an (empty) answer, not an error.
  setHandler(shardChangesQuery, (sinceSeq) => ({
    shardIndex: input.shardIndex,
    seq,
    documents: documents.filter((_, i) => changedAt[i] > sinceSeq),
  }));
  const changed = (index: number) => {
    seq++;
    changedAt[index] = seq;
  };

  const refs: DocumentRef[] =
    input.carried?.refs ?? (await localBookkeeping.loadShardDocuments({ tenantId, batchId, run: input.run ?? 1, offset: input.offset, limit: input.limit }));
  const outcomes = new OutcomeRecorder(
    input.reindex
      ? async (list) => {
          // The new versions become active first (one catalog write each); only then are the
          // versions they replace removed, with the partial ones of documents that failed.
          await localBookkeeping.recordOutcomes({ tenantId, batchId, outcomes: list, reindex: true });
          await bookkeeping.removeDocumentVectors({ tenantId, documentIds: list.map((o) => o.documentId), inactiveOnly: true });
        }
      : (list) => localBookkeeping.recordOutcomes({ tenantId, batchId, outcomes: list }),
  );
  if (!input.carried) {
    documents = refs.map(initialProgress);
    seq++;
    changedAt = documents.map(() => seq);
    for (const doc of documents) if (doc.status === 'skipped') outcomes.add(doc);
  }

  const pipeline = new DocumentPipeline({
    tenantId,
    batchId,
    parseQueue: input.parseQueue,
    fanOut: input.fanOut,
    refs,
    documents,
    changed,
    finished: (doc) => outcomes.add(doc),
    ...(input.reindex ? { reindex: input.reindex } : {}),
  });
  let working = true;
  const [work, recording] = await Promise.allSettled([
    pipeline.run().finally(() => {
      working = false;
    }),
    outcomes.run(() => working),
  ]);
  for (const r of [work, recording]) if (r.status === 'rejected' && !isCancellation(r.reason)) throw r.reason;

  if (work.status === 'rejected' || recording.status === 'rejected' || CancellationScope.current().consideredCancelled) {
    await CancellationScope.nonCancellable(async () => {
      const stopped = documents.map((d, i) => [d, i] as const).filter(([d]) => !isTerminalDocument(d.status));
      for (const [doc, i] of stopped) {
        doc.status = 'cancelled';
        doc.error = { code: 'cancelled', message: 'The batch was cancelled before this document was indexed.' };
        doc.finishedAt = Date.now();
        changed(i);
        outcomes.add(doc);
      }
      if (stopped.length > 0) {
        // Partial vectors of unfinished documents must not stay searchable (of a re-index: only the version it was building).
        await bookkeeping.removeDocumentVectors({ tenantId, documentIds: stopped.map(([d]) => d.documentId), ...(input.reindex ? { inactiveOnly: true } : {}) });
      }
      await outcomes.flush();
    });
    return { documents, seq };
  }

  await outcomes.flush();
  if (pipeline.budgetReached && documents.some((d) => !isTerminalDocument(d.status))) {
    await continueAsNew<typeof ingestShardV2>({ ...input, carried: { refs, documents, seq } });
  }
  return { documents, seq };
}

function initialProgress(ref: DocumentRef): DocumentProgress {
  const doc = queuedDocument(ref.documentId);
  if (ref.duplicateOf) doc.status = 'skipped';
  return doc;
}
