/**
 * Holds the embedding step of chosen batches until the test lets them go, so "mid-batch" is a
 * state the test sets (documents provably still running) rather than a race against the
 * machine's speed; and can make one embed step fail, so a retry has something to fix. Wraps
 * the real index activities: nothing else changes.
 */
import { Context } from '@temporalio/activity';
import type { IndexActivities } from '../../activities/contracts.js';
import { indexWithFaults } from '../index-faults.js';

export interface EmbedGate {
  /** New batches wait at their first embed step until released (the default). */
  holdAll(): void;
  /** Lets every batch through, now and from now on. */
  openAll(): void;
  /** Lets one batch through. */
  release(batchId: string): void;
  /** Holds a batch that was let through again, for its next run (a re-index, say). */
  hold(batchId: string): void;
  /** After each index step of a batch has written its points, waits `ms` more, so searches run while the store holds both versions. */
  lingerAfterWrite(batchId: string, ms: number): void;
  /** Batch ids with an embed step waiting right now. */
  waiting(): Set<string>;
  /** In the next index step of any batch, its first document fails once, for good, with an `internal_error`. */
  failNextEmbed(): void;
  wrap(real: IndexActivities): IndexActivities;
}

export function createEmbedGate(): EmbedGate {
  let open = false;
  const released = new Set<string>();
  const waiting = new Map<string, number>();
  const lingering = new Map<string, number>();
  let failNext = false;
  const passes = (batchId: string) => open || released.has(batchId);

  return {
    holdAll() {
      open = false;
    },
    openAll() {
      open = true;
    },
    release(batchId) {
      released.add(batchId);
    },
    hold(batchId) {
      released.delete(batchId);
    },
    lingerAfterWrite(batchId, ms) {
      lingering.set(batchId, ms);
    },
    failNextEmbed() {
      failNext = true;
    },
    waiting() {
      return new Set([...waiting].filter(([, n]) => n > 0).map(([id]) => id));
    },
    wrap(real) {
      return {
        ...real,
        async indexChunks(input) {
          const context = Context.current();
          waiting.set(input.batchId, (waiting.get(input.batchId) ?? 0) + 1);
          try {
            while (!passes(input.batchId)) {
              // A cancelled batch must be able to stop a held step, as it would a slow one.
              if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason;
              context.heartbeat();
              await new Promise((resolve) => setTimeout(resolve, 200));
            }
          } finally {
            waiting.set(input.batchId, (waiting.get(input.batchId) ?? 1) - 1);
          }
          if (failNext) {
            failNext = false;
            // Non-retryable: the document fails at once, as after an outage outlasting its retries.
            const first = input.items[0];
            const failure = { step: 'embed', code: 'internal_error', message: 'the embedding service failed (injected by the browser test)', retryable: false } as const;
            return indexWithFaults(real, input, (item) => (item === first ? failure : null), 'before-work');
          }
          const out = await real.indexChunks(input);
          const linger = lingering.get(input.batchId);
          if (linger) await new Promise((resolve) => setTimeout(resolve, linger));
          return out;
        },
      };
    },
  };
}
