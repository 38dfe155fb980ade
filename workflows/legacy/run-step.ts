/**
 * Step retries of the runs recorded before grouped steps: one document, one step at a time, in
 * workflow code (activities get a single attempt each) so the progress snapshot shows the
 * attempt number and the last error while a document waits to retry.
 */
import { CancelledFailure, isCancellation, sleep } from '@temporalio/workflow';
import type { ReasonCode } from '../../core/formats.js';
import { classifyFailure } from '../failures.js';

export interface StepRetryPolicy {
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

/** A failure that ends the document: either non-retryable or out of attempts. */
export class StepFailed extends Error {
  constructor(
    readonly code: ReasonCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Runs one step until it succeeds, fails for good, or the workflow is cancelled (rethrown as is).
 * `onAttempt` reports each attempt and the error that caused it, for the progress snapshot.
 */
export async function runStep<T>(
  policy: StepRetryPolicy,
  step: () => Promise<T>,
  onAttempt: (attempt: number, lastError: { code: ReasonCode; message: string } | null) => void,
): Promise<T> {
  let lastError: { code: ReasonCode; message: string } | null = null;
  for (let attempt = 1; ; attempt++) {
    onAttempt(attempt, lastError);
    try {
      return await step();
    } catch (err) {
      if (isCancellation(err) || err instanceof CancelledFailure) throw err;
      const failure = classifyFailure(err);
      if (!failure.retryable) throw new StepFailed(failure.code, failure.message);
      lastError = { code: failure.code, message: failure.message };
      if (attempt >= policy.maxAttempts) {
        throw new StepFailed(failure.code, `gave up after ${attempt} attempts: ${failure.message}`);
      }
      await sleep(Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1)));
    }
  }
}
