/**
 * A permanent refusal from the embeddings endpoint ends the document at once: the index workers
 * embed through the real `openai` client against a local endpoint that answers every request
 * with a 4xx, and the document is `failed` with the reason code after exactly one HTTP attempt.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOpenAiEmbedder } from '../adapters/openai-embedder.js';
import { makeText } from './fixtures/documents.js';
import { uploadBatch, waitForBatch } from './http.js';
import { startStack, type Stack } from './stack.js';

describe('an embeddings endpoint that refuses the request', () => {
  let stack: Stack;
  let fault: http.Server;
  let answer: { status: number; message: string } = { status: 400, message: '' };
  let attempts = 0;

  beforeAll(async () => {
    fault = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.method === 'POST' && req.url?.endsWith('/embeddings')) attempts++;
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: answer.message, type: 'invalid_request_error' } }));
      });
    });
    await new Promise<void>((resolve) => fault.listen(0, '127.0.0.1', resolve));
    const faultUrl = `http://127.0.0.1:${(fault.address() as AddressInfo).port}/v1`;
    // Only the workers' embedder points at the fault endpoint; dimensions are given so the one
    // request each chunk group makes is the embedding itself.
    stack = await startStack({
      wrapEmbedder: (real) => createOpenAiEmbedder({ baseURL: faultUrl, model: real.model, dimensions: 384, prefixMode: 'none' }),
    });
  });
  afterAll(async () => {
    await stack?.close();
    fault?.closeAllConnections();
    await new Promise<void>((resolve) => (fault ? fault.close(() => resolve()) : resolve()));
  });
  beforeEach(() => {
    attempts = 0;
  });

  for (const [status, code] of [
    [400, 'embedding_rejected'],
    [401, 'embedding_auth'],
  ] as const) {
    it(`HTTP ${status}: the document fails with ${code} after one HTTP attempt`, async () => {
      answer = { status, message: `refused with ${status} by the test endpoint` };
      const upload = await uploadBatch(stack.baseUrl, stack.apiKey, [
        { name: `refused-${status}.txt`, bytes: makeText(`A short note that the endpoint will refuse with ${status}.`) },
      ]);
      expect(upload.status).toBe(202);
      const view = await waitForBatch(stack.baseUrl, stack.apiKey, upload.body.batchId);
      expect(view.status).toBe('failed');
      const [doc] = view.documents;
      expect(doc.status).toBe('failed');
      expect(doc.error?.code).toBe(code);
      expect(doc.error?.message).toContain(`refused with ${status} by the test endpoint`);
      expect(doc.attempt).toBe(1);
      expect(attempts).toBe(1);
    });
  }
});
