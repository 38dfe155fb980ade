/**
 * A step that fails after it has already written must not leave duplicates behind: the index
 * step of every chunk group is made to fail twice *after* writing its points, then succeed. Point
 * ids are UUIDv5 of (tenant, document, version, chunk), so the retries overwrite instead of adding.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeText } from './fixtures/documents.js';
import { uploadBatch, waitForBatch } from './http.js';
import { indexWithFaults } from './index-faults.js';
import { startStack, type Stack } from './stack.js';

describe('retried upserts', () => {
  let stack: Stack;
  const failuresLeft = new Map<string, number>();
  let injected = 0;
  beforeAll(async () => {
    stack = await startStack({
      fanOut: { chunksPerStep: 4 },
      wrapIndexActivities: (real) => ({
        ...real,
        indexChunks: (input) =>
          indexWithFaults(
            real,
            input,
            (item) => {
              const key = `${item.documentId}:${item.start}`;
              const left = failuresLeft.get(key) ?? 2;
              if (left === 0) return null;
              failuresLeft.set(key, left - 1);
              injected++;
              return { step: 'upsert', code: 'internal_error', message: 'injected failure after the points were written', retryable: true };
            },
            'after-work',
          ),
      }),
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('fails twice then succeeds, leaving exactly one point per chunk', async () => {
    const paragraphs = Array.from({ length: 12 }, (_, i) => `Paragraph ${i} talks about topic number ${i}: ${'measured words flow onward '.repeat(25)}`);
    const upload = await uploadBatch(stack.baseUrl, stack.apiKey, [{ name: 'long.txt', bytes: makeText(paragraphs.join('\n\n')) }]);
    expect(upload.status).toBe(202);
    const view = await waitForBatch(stack.baseUrl, stack.apiKey, upload.body.batchId);
    const doc = view.documents[0];
    expect(doc.status, JSON.stringify(doc.error)).toBe('indexed');
    expect(doc.chunksTotal).toBeGreaterThan(4); // several groups, so several steps failed twice
    expect(doc.attempt).toBe(3);
    expect(injected).toBe(2 * Math.ceil(doc.chunksTotal! / 4));

    const ids = await stack.vectors.listDocumentPointIds('demo', doc.documentId);
    expect(ids.length).toBe(doc.chunksTotal);
    expect(new Set(ids).size).toBe(ids.length);
    expect(await stack.vectors.countDocument('demo', doc.documentId)).toBe(doc.chunksTotal);
  });
});
