/**
 * The per-document pipeline of a shard. Documents are prepared (parsed and chunked) in groups,
 * then their chunk ranges are indexed (embedded and upserted) in packs mixed across documents,
 * so one activity carries many small documents and a large one is split into bounded ranges.
 *
 * Activities report each document's (each range's) own outcome; retries are per document with
 * backoff, so progress shows the attempt and the last error, and the history's activity results
 * say which document failed at which step and why. A document's permanent failure ends only
 * that document, once its partial vectors are removed.
 */
import { condition, isCancellation, sleep, workflowInfo } from '@temporalio/workflow';
import type { IndexedRange, PreparedDocument, StepFailure } from '../activities/contracts.js';
import type { ReasonCode } from '../core/formats.js';
import { isTerminalDocument, type DocumentProgress, type DocumentStatus } from '../core/progress.js';
import type { DocumentRef, FanOutOptions, ReindexOptions } from './definitions.js';
import { classifyFailure } from './failures.js';
import { chunkRanges, retryDelayMs, takeBounded } from './packing.js';
import { bookkeeping, indexSteps, parseSteps } from './proxies.js';

/** How often and how patiently a step is retried per document. */
export interface RetryPolicy {
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

/** Parse and chunk: a failure that persists after 3 attempts is not going away. */
export const PREPARE_RETRY: RetryPolicy = { maxAttempts: 3, initialDelayMs: 2_000, maxDelayMs: 30_000 };
/** Embed and upsert: endpoints and stores recover from overload, so patience pays. */
export const INDEX_RETRY: RetryPolicy = { maxAttempts: 10, initialDelayMs: 1_000, maxDelayMs: 60_000 };

/** waiting: queued for prepare (or for its retry); preparing; indexing (ranges left); done. */
type Phase = 'waiting' | 'preparing' | 'indexing' | 'done';

interface Tracked {
  index: number;
  ref: DocumentRef;
  /** The object the progress query shows; updated in place. */
  doc: DocumentProgress;
  phase: Phase;
  /** Attempt of the prepare step. */
  attempt: number;
  chunksKey: string | null;
  rangesLeft: number;
  /** Ranges of this document inside index activities now. */
  inFlight: number;
  /** Set when the document failed for good while ranges were still in flight. */
  failure: { code: ReasonCode; message: string } | null;
}

interface RangeJob {
  t: Tracked;
  start: number;
  end: number;
  attempt: number;
}

/** What the pipeline works on and whom it tells. */
export interface PipelineOptions {
  tenantId: string;
  batchId: string;
  parseQueue: string;
  fanOut: FanOutOptions;
  refs: DocumentRef[];
  /** Progress entries, one per ref; terminal ones are left alone. */
  documents: DocumentProgress[];
  /** A document's visible state changed (for the progress query). */
  changed(index: number): void;
  /** A document reached its end in this run. */
  finished(doc: DocumentProgress): void;
  /** Set for a re-index run: chunk sizes for the prepare step, and a failure removes only the version being built. */
  reindex?: ReindexOptions;
}

const STATUS_OF_STEP: Record<StepFailure['step'], DocumentStatus> = { parse: 'parsing', chunk: 'chunking', embed: 'embedding', upsert: 'embedding' };

/** The message a document ends with: a retryable failure that ran out of attempts says so. */
function finalMessage(failure: StepFailure, attempts: number): string {
  return failure.retryable ? `gave up after ${attempts} attempts: ${failure.message}` : failure.message;
}

export class DocumentPipeline {
  private readonly tracked: Tracked[];
  private readonly prepareQueue: Tracked[];
  private readonly rangeQueue: RangeJob[] = [];
  private readonly parse;
  /** Set once the history passed its budget: no new documents start; the shard continues as new. */
  budgetReached = false;

  constructor(private readonly o: PipelineOptions) {
    this.parse = parseSteps(o.parseQueue);
    this.tracked = o.refs.map((ref, index) => ({
      index,
      ref,
      doc: o.documents[index],
      phase: isTerminalDocument(o.documents[index].status) ? 'done' : 'waiting',
      attempt: 1,
      chunksKey: null,
      rangesLeft: 0,
      inFlight: 0,
      failure: null,
    }));
    this.prepareQueue = this.tracked.filter((t) => t.phase === 'waiting');
  }

  /**
   * Runs until every document ended, or until the history budget stops new work and the
   * documents already started ended. Settles only after every lane stopped, so on cancel no
   * activity is still running when the caller cleans up.
   */
  async run(): Promise<void> {
    const { groupsInFlight, packsInFlight } = this.o.fanOut;
    const lanes = [...Array.from({ length: Math.max(1, groupsInFlight) }, () => this.prepareLane()), ...Array.from({ length: Math.max(1, packsInFlight) }, () => this.indexLane())];
    const settled = await Promise.allSettled(lanes);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected' && !isCancellation(s.reason));
    const cancelled = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    if (cancelled) throw cancelled.reason;
  }

  private count(phase: Phase): number {
    return this.tracked.reduce((n, t) => n + (t.phase === phase ? 1 : 0), 0);
  }

  private morePrepareWork(): boolean {
    return !this.budgetReached && this.tracked.some((t) => t.phase === 'waiting');
  }

  private moreIndexWork(): boolean {
    return this.tracked.some((t) => t.phase === 'preparing' || t.phase === 'indexing') || this.morePrepareWork();
  }

  private room(): number {
    return this.o.fanOut.documentsInFlight - this.count('preparing') - this.count('indexing');
  }

  private show(t: Tracked, status: DocumentStatus, attempt: number, error: DocumentProgress['error']): void {
    t.doc.status = status;
    t.doc.attempt = attempt;
    t.doc.error = error;
    this.o.changed(t.index);
  }

  private finish(t: Tracked, status: 'indexed' | 'failed', error: DocumentProgress['error']): void {
    t.phase = 'done';
    t.doc.status = status;
    t.doc.error = error;
    t.doc.finishedAt = Date.now();
    this.o.changed(t.index);
    this.o.finished(t.doc);
  }

  /** Runs `then` for each job after the delay; one timer per delay, whatever the number of documents. */
  private later<T>(delays: Map<number, T[]>, then: (job: T) => void): void {
    for (const [delay, jobs] of delays) {
      // A cancelled timer needs no handling: the shard's clean-up ends every waiting document.
      sleep(delay).then(
        () => jobs.forEach(then),
        () => undefined,
      );
    }
  }

  private async prepareLane(): Promise<void> {
    const { fanOut, tenantId, batchId } = this.o;
    for (;;) {
      await condition(() => (this.prepareQueue.length > 0 && this.room() > 0) || !this.morePrepareWork());
      if (!this.morePrepareWork() || this.prepareQueue.length === 0) return;
      if (workflowInfo().historyLength > fanOut.historyEventBudget) {
        this.budgetReached = true;
        return;
      }
      const group = takeBounded(this.prepareQueue, { maxItems: Math.min(fanOut.documentsPerGroup, this.room()), maxWeight: fanOut.bytesPerGroup }, (t) => t.ref.size ?? 0);
      for (const t of group) {
        t.phase = 'preparing';
        t.doc.startedAt ??= Date.now();
        this.show(t, 'parsing', t.attempt, t.attempt > 1 ? t.doc.error : null);
      }
      let results: PreparedDocument[];
      try {
        const out = await this.parse.prepareDocuments({
          tenantId,
          batchId,
          groupSize: fanOut.chunksPerStep,
          documents: group.map((t) => ({ documentId: t.ref.documentId, version: t.ref.version, format: t.ref.format, blobKey: t.ref.blobKey })),
          ...(this.o.reindex ? { chunking: this.o.reindex } : {}),
        });
        results = out.documents;
      } catch (err) {
        if (isCancellation(err)) throw err;
        const failure: StepFailure = { step: 'parse', ...classifyFailure(err) };
        results = group.map((t) => ({ documentId: t.ref.documentId, ok: false, failure }));
      }
      this.prepared(group, results);
    }
  }

  private prepared(group: Tracked[], results: PreparedDocument[]): void {
    const retries = new Map<number, Tracked[]>();
    group.forEach((t, i) => {
      const result = results[i];
      if (result?.documentId !== t.ref.documentId) {
        this.finish(t, 'failed', { code: 'internal_error', message: 'the prepare step returned no result for this document' });
      } else if (result.ok && result.chunkCount === 0) {
        // The prepare step reports this as a failure; a zero here must still never read as indexed.
        this.finish(t, 'failed', { code: 'no_extractable_text', message: 'The file contains no text that could be extracted.' });
      } else if (result.ok) {
        t.phase = 'indexing';
        t.chunksKey = result.chunksKey;
        t.doc.chunksTotal = result.chunkCount;
        t.doc.chunks = 0;
        const ranges = chunkRanges(result.chunkCount, this.o.fanOut.chunksPerStep);
        t.rangesLeft = ranges.length;
        for (const r of ranges) this.rangeQueue.push({ t, ...r, attempt: 1 });
        this.show(t, 'embedding', 1, null);
      } else {
        const { failure } = result;
        if (failure.retryable && t.attempt < PREPARE_RETRY.maxAttempts) {
          t.phase = 'waiting';
          this.show(t, STATUS_OF_STEP[failure.step], t.attempt, { code: failure.code, message: failure.message });
          const delay = retryDelayMs(PREPARE_RETRY, t.attempt);
          retries.set(delay, [...(retries.get(delay) ?? []), t]);
        } else {
          this.finish(t, 'failed', { code: failure.code, message: finalMessage(failure, t.attempt) });
        }
      }
    });
    this.later(retries, (t) => {
      t.attempt++;
      this.prepareQueue.push(t);
    });
  }

  private async indexLane(): Promise<void> {
    const { fanOut, tenantId, batchId } = this.o;
    for (;;) {
      await condition(() => this.rangeQueue.length > 0 || !this.moreIndexWork());
      if (this.rangeQueue.length === 0) return;
      const pack = takeBounded(this.rangeQueue, { maxItems: Number.MAX_SAFE_INTEGER, maxWeight: fanOut.chunksPerPack }, (r) => r.end - r.start);
      for (const r of pack) {
        r.t.inFlight++;
        this.show(r.t, 'embedding', r.attempt, r.attempt > 1 ? r.t.doc.error : null);
      }
      let results: IndexedRange[];
      try {
        const out = await indexSteps.indexChunks({
          tenantId,
          batchId,
          items: pack.map((r) => ({ documentId: r.t.ref.documentId, version: r.t.ref.version, filename: r.t.ref.filename, chunksKey: r.t.chunksKey!, start: r.start, end: r.end })),
        });
        results = out.items;
      } catch (err) {
        if (isCancellation(err)) {
          for (const r of pack) r.t.inFlight--;
          throw err;
        }
        const failure: StepFailure = { step: 'embed', ...classifyFailure(err) };
        results = pack.map((r) => ({ documentId: r.t.ref.documentId, start: r.start, ok: false, failure }));
      }
      const ended = this.indexed(pack, results);
      if (ended.length > 0) await this.removeAndFail(ended);
    }
  }

  /** Applies a pack's results; returns the documents that failed for good and have nothing in flight. */
  private indexed(pack: RangeJob[], results: IndexedRange[]): Tracked[] {
    const retries = new Map<number, RangeJob[]>();
    const ended: Tracked[] = [];
    pack.forEach((r, i) => {
      const { t } = r;
      t.inFlight--;
      const result: IndexedRange =
        results[i]?.documentId === t.ref.documentId && results[i].start === r.start
          ? results[i]
          : {
              documentId: t.ref.documentId,
              start: r.start,
              ok: false,
              failure: { step: 'embed', code: 'internal_error', message: 'the index step returned no result for this range', retryable: true },
            };
      if (t.phase !== 'indexing' || t.failure) {
        // The document already failed through another range; this one only had to come back.
      } else if (result.ok) {
        t.doc.chunks += result.upserted;
        t.rangesLeft--;
        if (t.rangesLeft === 0) this.finish(t, 'indexed', null);
        else this.o.changed(t.index);
      } else if (result.failure.retryable && r.attempt < INDEX_RETRY.maxAttempts) {
        this.show(t, 'embedding', r.attempt, { code: result.failure.code, message: result.failure.message });
        const delay = retryDelayMs(INDEX_RETRY, r.attempt);
        retries.set(delay, [...(retries.get(delay) ?? []), { ...r, attempt: r.attempt + 1 }]);
      } else {
        t.failure = { code: result.failure.code, message: finalMessage(result.failure, r.attempt) };
        // Ranges still queued will not be needed.
        for (let q = this.rangeQueue.length - 1; q >= 0; q--) if (this.rangeQueue[q].t === t) this.rangeQueue.splice(q, 1);
      }
      if (t.failure && t.phase === 'indexing' && t.inFlight === 0 && !ended.includes(t)) ended.push(t);
    });
    this.later(retries, (job) => {
      if (job.t.phase === 'indexing' && !job.t.failure) this.rangeQueue.push(job);
    });
    return ended;
  }

  /**
   * A document that fails half-way must not stay half-searchable: its vectors go first. A failed
   * re-index removes only the version it was building; the active one keeps answering.
   */
  private async removeAndFail(ended: Tracked[]): Promise<void> {
    for (const t of ended) t.phase = 'done';
    await bookkeeping.removeDocumentVectors({
      tenantId: this.o.tenantId,
      documentIds: ended.map((t) => t.ref.documentId),
      ...(this.o.reindex ? { inactiveOnly: true } : {}),
    });
    for (const t of ended) {
      t.doc.chunks = 0;
      this.finish(t, 'failed', t.failure);
    }
  }
}
