import { describe, expect, it } from 'vitest';
import { BatchDeltaSchema, type BatchDelta, type DocumentView } from '../core/contracts.js';
import { deltaFrames, serializeDocument } from './progress-frames.js';

const head = { batchId: 'b', status: 'completed' as const, seq: 12, workflowId: 'ingest-t-b' };

const doc = (i: number, filename = `f${i}.txt`): DocumentView => ({
  documentId: `d${i}`,
  filename,
  status: 'indexed',
  chunks: 1,
  chunksTotal: 1,
  attempt: 1,
  error: null,
  startedAt: 1,
  finishedAt: 2,
  duplicateOf: null,
});

describe('deltaFrames', () => {
  it('leaves a delta within the limit as one frame, byte for byte the JSON of the whole delta, with the id', () => {
    const documents = [doc(0), doc(1)];
    const frames = deltaFrames(head, 7, documents.map(serializeDocument), 'done');
    expect(frames).toEqual([{ event: 'done', id: '12', data: JSON.stringify({ ...head, documents } satisfies BatchDelta) }]);
  });

  it('sends an empty delta as one frame', () => {
    expect(deltaFrames(head, 12, [], 'done')).toEqual([{ event: 'done', id: '12', data: JSON.stringify({ ...head, documents: [] }) }]);
  });

  it('counts bytes, not characters, and never cuts a document larger than the limit', () => {
    // Three-byte characters: 100 of them are 300 bytes of JSON, more than the 250-byte limit.
    const wide = doc(1, `${'文'.repeat(100)}.txt`);
    const documents = [doc(0), wide, doc(2)];
    const frames = deltaFrames(head, 7, documents.map(serializeDocument), 'progress', 250);
    const parts = frames.map((f) => BatchDeltaSchema.parse(JSON.parse(f.data)));
    expect(parts.map((p) => p.documents.map((d) => d.documentId))).toEqual([['d0'], ['d1'], ['d2']]);
    expect(parts[1].documents[0]).toEqual(wide);
    expect(frames.map((f) => Buffer.byteLength(f.data) <= 250)).toEqual([true, false, true]);
    expect(frames.map((f) => [f.event, f.id])).toEqual([
      ['progress', undefined],
      ['progress', undefined],
      ['progress', '12'],
    ]);
    expect(parts.map((p) => [p.status, p.seq])).toEqual([
      ['running', 7],
      ['running', 7],
      ['completed', 12],
    ]);
  });
});
