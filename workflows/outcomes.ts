/**
 * Terminal outcomes on their way to the catalog, written in batches: one activity per flush
 * instead of one per document, which keeps a shard's history small when hundreds of tiny
 * documents finish at once.
 */
import { condition } from '@temporalio/workflow';
import type { DocumentOutcome } from '../activities/contracts.js';
import type { DocumentProgress } from '../core/progress.js';

/** Outcomes written per activity at most, so one payload stays far below Temporal's 2 MB. */
const OUTCOMES_PER_WRITE = 500;

export class OutcomeRecorder {
  private queue: DocumentOutcome[] = [];
  constructor(private readonly write: (outcomes: DocumentOutcome[]) => Promise<void>) {}

  add(doc: DocumentProgress): void {
    const { documentId, status, chunks, error, attempt, startedAt, finishedAt } = doc;
    this.queue.push({ documentId, status, chunks, error, attempt, startedAt, finishedAt });
  }

  /** Flushes whenever something is queued, for as long as `active()` says work is going on. */
  async run(active: () => boolean): Promise<void> {
    while (true) {
      await condition(() => this.queue.length > 0 || !active());
      if (this.queue.length === 0) return;
      await this.flush();
    }
  }

  async flush(): Promise<void> {
    while (this.queue.length > 0) await this.write(this.queue.splice(0, OUTCOMES_PER_WRITE));
  }
}
