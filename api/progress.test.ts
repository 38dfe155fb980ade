import { describe, expect, it } from 'vitest';
import type { DocumentRecord } from '../adapters/catalog.js';
import { documentFromCatalog, withLive } from './progress.js';

const record = (overrides: Partial<DocumentRecord> = {}): DocumentRecord => ({
  id: 'd1',
  tenantId: 't',
  batchId: 'b1',
  position: 0,
  filename: 'a.txt',
  format: 'txt',
  contentHash: 'h',
  size: 3,
  blobKey: 'k',
  status: 'indexed',
  chunks: 4,
  errorCode: null,
  errorMessage: null,
  version: 2,
  activeVersion: 1,
  pendingVersion: null,
  duplicateOf: null,
  lastReindexFailure: null,
  run: 2,
  attempt: 1,
  startedAt: 1,
  finishedAt: 2,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...overrides,
});

describe('batch view rows from the catalog', () => {
  it('say that an indexed document’s last re-index failed, and why, only when the record says so', () => {
    expect(documentFromCatalog(record())).not.toHaveProperty('reindexFailure');
    const failed = documentFromCatalog(
      record({ lastReindexFailure: { code: 'embedding_rejected', message: 'The model refused the text.', version: 2, at: '2026-01-01T00:01:00.000Z' } }),
    );
    expect(failed).toMatchObject({ status: 'indexed', error: null, reindexFailure: { code: 'embedding_rejected', message: 'The model refused the text.' } });
  });

  it('leave it out of a running run’s live state, which is the run’s own word on the document', () => {
    const live = withLive(
      { filename: 'a.txt', duplicateOf: null },
      { documentId: 'd1', status: 'embedding', chunks: 1, chunksTotal: 4, attempt: 1, error: null, startedAt: 1, finishedAt: null },
    );
    expect(live).not.toHaveProperty('reindexFailure');
  });
});
