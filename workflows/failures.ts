/**
 * How a failed activity is read by the workflows: the reason code an activity attached to a
 * non-retryable ApplicationFailure, or a retryable infrastructure failure.
 */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { REASON_CODES, type ReasonCode } from '../core/formats.js';

/** Reads the reason code an activity attached to a non-retryable ApplicationFailure. */
export function classifyFailure(err: unknown): { code: ReasonCode; message: string; retryable: boolean } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const code = (REASON_CODES as readonly string[]).includes(cause.type ?? '') ? (cause.type as ReasonCode) : 'internal_error';
    return { code, message: cause.message, retryable: !cause.nonRetryable };
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  return { code: cause && (cause as Error).name === 'TimeoutFailure' ? 'timeout' : 'internal_error', message, retryable: true };
}
