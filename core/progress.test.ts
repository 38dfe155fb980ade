import { describe, expect, it } from 'vitest';
import { settleBatchStatus } from './progress.js';

const docs = (...statuses: Parameters<typeof settleBatchStatus>[0][number]['status'][]) => statuses.map((status) => ({ status }));

describe('settleBatchStatus', () => {
  it('derives the batch status from its documents', () => {
    expect(settleBatchStatus(docs('indexed', 'skipped'), false)).toBe('completed');
    expect(settleBatchStatus(docs('indexed', 'failed'), false)).toBe('completed_with_errors');
    expect(settleBatchStatus(docs('failed', 'failed'), false)).toBe('failed');
    expect(settleBatchStatus(docs('indexed', 'embedding'), false)).toBe('running');
    expect(settleBatchStatus(docs('indexed'), true)).toBe('cancelled');
  });
});
