import { describe, expect, it } from 'vitest';
import type { BatchView, DocumentDetail } from '../../../core/contracts.js';
import { ApiRequestError } from './api.js';
import { REINDEX_LIMITS, batchReindexable, reindexEnded, reindexOutcome, reindexRefusal, reindexRequest } from './reindex-form.js';

const view = (workflowId: string, status: BatchView['status'], documentStatus: BatchView['documents'][number]['status']): BatchView => ({
  batchId: 'b1',
  status,
  createdAt: '2026-01-01T00:00:00Z',
  seq: 3,
  workflowId,
  documents: [{ documentId: 'd1', filename: 'a.txt', status: documentStatus, chunks: 4, chunksTotal: 4, attempt: 1, error: null, startedAt: 1, finishedAt: 2, duplicateOf: null }],
});

describe('re-index form', () => {
  it('takes its limits from the contract', () => {
    expect(REINDEX_LIMITS).toEqual({ maxTokens: { min: 2, max: 8192 }, overlapTokens: { min: 0, max: 8190 } });
  });

  it('leaves empty settings out, so the configured sizes apply', () => {
    expect(reindexRequest(null, null)).toEqual({ ok: true, body: {} });
    expect(reindexRequest(undefined, 10)).toEqual({ ok: true, body: { overlapTokens: 10 } });
    expect(reindexRequest(60, 0)).toEqual({ ok: true, body: { maxTokens: 60, overlapTokens: 0 } });
  });

  it('names the setting the API would refuse', () => {
    expect(reindexRequest(1, null)).toEqual({ ok: false, problem: 'maxTokens' });
    expect(reindexRequest(8193, null)).toEqual({ ok: false, problem: 'maxTokens' });
    expect(reindexRequest(2.5, null)).toEqual({ ok: false, problem: 'maxTokens' });
    expect(reindexRequest(null, -1)).toEqual({ ok: false, problem: 'overlapTokens' });
    expect(reindexRequest(60, 59)).toEqual({ ok: false, problem: 'overlapTooLarge' });
    expect(reindexRequest(60, 58)).toEqual({ ok: true, body: { maxTokens: 60, overlapTokens: 58 } });
  });

  it('sees the end of the run it started, not of the run shown before', () => {
    expect(reindexEnded(null, null)).toBe(false);
    // The stream still shows the earlier, finished run: that is not the re-index's end.
    expect(reindexEnded(view('ingest-t-b1', 'completed', 'indexed'), 'ingest-t-b1')).toBe(false);
    expect(reindexEnded(view('ingest-t-b1-r2', 'running', 'embedding'), 'ingest-t-b1')).toBe(false);
    expect(reindexEnded(view('ingest-t-b1-r2', 'completed', 'indexed'), 'ingest-t-b1')).toBe(true);
    expect(reindexEnded(view('ingest-t-b1-r2', 'failed', 'failed'), null)).toBe(true);
  });

  it('judges the outcome by the failure the record keeps, since a failed new version leaves the document indexed', () => {
    const record = (version: number, lastReindexFailure: DocumentDetail['lastReindexFailure'] = null, status: DocumentDetail['status'] = 'indexed'): DocumentDetail => ({
      documentId: 'd1',
      batchId: 'b1',
      filename: 'a.txt',
      format: 'txt',
      size: 10,
      contentHash: 'h',
      status,
      chunks: 4,
      attempt: 1,
      error: null,
      duplicateOf: null,
      run: 2,
      workflowId: 'ingest-t-b1-r2',
      version,
      lastReindexFailure,
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:00:00Z',
    });
    const failed = (version: number) => ({ code: 'embedding_rejected', message: 'the model refused the text', version, at: '2026-01-01T00:01:00Z' }) as const;
    expect(reindexOutcome(record(1), record(2))).toEqual({ indexed: true, failure: null });
    // Indexed at the version it had, with this run's failure recorded: it failed, and the record says why.
    expect(reindexOutcome(record(1), record(1, failed(2)))).toEqual({ indexed: false, failure: failed(2) });
    // An earlier re-index's failure, shown when this run started, is not this run's: a new one is (another version).
    expect(reindexOutcome(record(1, failed(2)), record(1, failed(3)))).toEqual({ indexed: false, failure: failed(3) });
    // A success after an earlier failure clears it.
    expect(reindexOutcome(record(1, failed(2)), record(3))).toEqual({ indexed: true, failure: null });
    expect(reindexOutcome(record(1), record(1, null, 'failed'))).toEqual({ indexed: false, failure: null });
  });

  it('offers a batch re-index once the batch has ended with a document of its own indexed', () => {
    expect(batchReindexable(null)).toBe(false);
    expect(batchReindexable(view('ingest-t-b1', 'running', 'indexed'))).toBe(false);
    expect(batchReindexable(view('ingest-t-b1', 'completed', 'indexed'))).toBe(true);
    expect(batchReindexable(view('ingest-t-b1', 'completed_with_errors', 'indexed'))).toBe(true);
    expect(batchReindexable(view('ingest-t-b1', 'failed', 'failed'))).toBe(false);
    expect(batchReindexable(view('ingest-t-b1', 'cancelled', 'cancelled'))).toBe(false);
    // A duplicate is `skipped` and shares another document's vectors: nothing of its own to re-index.
    const duplicate = view('ingest-t-b1', 'completed', 'skipped');
    duplicate.documents[0].duplicateOf = 'd0';
    expect(batchReindexable(duplicate)).toBe(false);
  });

  it("recognises the API's refusals the pages explain, and leaves other errors as they are", () => {
    const refused = (status: number, code: string) => new ApiRequestError(status, code, 'server words', 'req-1');
    expect(reindexRefusal(refused(409, 'batch_running'))).toBe('running');
    expect(reindexRefusal(refused(409, 'not_indexed'))).toBe('notIndexed');
    expect(reindexRefusal(refused(409, 'nothing_to_reindex'))).toBe('nothingToReindex');
    expect(reindexRefusal(refused(503, 'temporal_unavailable'))).toBe('unavailable');
    expect(reindexRefusal(refused(404, 'not_found'))).toBeNull();
    expect(reindexRefusal(new Error('boom'))).toBeNull();
    expect(reindexRefusal(null)).toBeNull();
  });
});
