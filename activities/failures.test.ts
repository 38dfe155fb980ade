import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { EmbeddingResponseError } from '../adapters/embedder.js';
import { EmbeddingRequestError, EmbeddingUnavailableError } from '../adapters/openai-embedder.js';
import { DocumentError } from '../core/formats.js';
import { classified } from './failures.js';

const failureOf = (err: unknown): Promise<unknown> =>
  classified(async () => {
    throw err;
  }).catch((e: unknown) => e);

describe('classified', () => {
  it('turns a DocumentError into a non-retryable failure typed with its reason code', async () => {
    const f = await failureOf(new DocumentError('corrupt', 'bad xref table'));
    expect(f).toBeInstanceOf(ApplicationFailure);
    expect(f).toMatchObject({ type: 'corrupt', message: 'bad xref table', nonRetryable: true });
  });

  it("fails the document at once on the embedder's permanent errors, keeping the endpoint's message", async () => {
    expect(await failureOf(new EmbeddingRequestError(422, 'input must not be empty'))).toMatchObject({
      type: 'embedding_rejected',
      nonRetryable: true,
      message: expect.stringContaining('input must not be empty'),
    });
    expect(await failureOf(new EmbeddingRequestError(401, 'invalid api key'))).toMatchObject({ type: 'embedding_auth', nonRetryable: true });
    expect(await failureOf(new EmbeddingRequestError(403, 'forbidden'))).toMatchObject({ type: 'embedding_auth', nonRetryable: true });
    expect(await failureOf(new EmbeddingResponseError('expected 384 dimensions'))).toMatchObject({ type: 'embedding_rejected', nonRetryable: true });
  });

  it('leaves transient failures retryable for the workflow', async () => {
    const unavailable = new EmbeddingUnavailableError('embeddings: HTTP 503 after 3 attempts', 503, 3);
    expect(await failureOf(unavailable)).toBe(unavailable);
  });
});
