/**
 * The progress model: what a batch and its documents look like at any moment.
 * Workflows build it, the API serves it, the UI renders it. Pure and deterministic,
 * so workflow code can use it without breaking replay.
 */
import type { ReasonCode } from './formats.js';

export const BATCH_STATUSES = ['running', 'completed', 'completed_with_errors', 'failed', 'cancelled'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

export const DOCUMENT_STATUSES = ['queued', 'parsing', 'chunking', 'embedding', 'indexed', 'failed', 'cancelled', 'skipped'] as const;
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];

/** Statuses after which a document never changes again within a run. */
export const TERMINAL_DOCUMENT_STATUSES: readonly DocumentStatus[] = ['indexed', 'failed', 'cancelled', 'skipped'];

/** True when the document will not move any more in this run. */
export function isTerminalDocument(status: DocumentStatus): boolean {
  return TERMINAL_DOCUMENT_STATUSES.includes(status);
}

/** True when the batch will not move any more. */
export function isTerminalBatch(status: BatchStatus): boolean {
  return status !== 'running';
}

export interface DocumentError {
  code: ReasonCode;
  message: string;
}

/** Live state of one document inside a run. */
export interface DocumentProgress {
  documentId: string;
  status: DocumentStatus;
  /** Chunks indexed so far (equals chunksTotal once indexed). */
  chunks: number;
  /** Chunks the document was split into; null until chunking finished. */
  chunksTotal: number | null;
  /** Attempt number of the current step (1 = first try). */
  attempt: number;
  error: DocumentError | null;
  /** Workflow time (ms since epoch) when processing started and when it ended. */
  startedAt: number | null;
  finishedAt: number | null;
}

/** A fresh document entry, as queued. */
export function queuedDocument(documentId: string): DocumentProgress {
  return {
    documentId,
    status: 'queued',
    chunks: 0,
    chunksTotal: null,
    attempt: 0,
    error: null,
    startedAt: null,
    finishedAt: null,
  };
}

/** Batch status from its documents' final states: the one rule, used by workflow and catalog. */
export function settleBatchStatus(documents: readonly Pick<DocumentProgress, 'status'>[], cancelled: boolean): BatchStatus {
  if (cancelled) return 'cancelled';
  if (documents.some((d) => !isTerminalDocument(d.status))) return 'running';
  const ok = documents.filter((d) => d.status === 'indexed' || d.status === 'skipped').length;
  if (ok === documents.length) return 'completed';
  if (ok === 0) return 'failed';
  return 'completed_with_errors';
}
