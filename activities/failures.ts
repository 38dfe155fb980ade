/**
 * Maps domain errors to Temporal failures: a DocumentError becomes a non-retryable
 * ApplicationFailure whose type is the reason code the workflow reports; anything else stays
 * retryable, because it is an infrastructure problem rather than a property of the file.
 * The embedder's permanent errors (a 4xx the endpoint will repeat, an unusable answer) are
 * DocumentErrors too (`embedding_rejected`, `embedding_auth`), so they end the document at once.
 */
import { ApplicationFailure } from '@temporalio/common';
import { DocumentError } from '../core/formats.js';

/** Runs an activity body, translating DocumentError into a non-retryable failure. */
export async function classified<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof DocumentError) {
      throw ApplicationFailure.create({ type: err.code, message: err.message, nonRetryable: true });
    }
    throw err;
  }
}
