/**
 * Upload limits and memory of the real API process: a 200 MiB file streams to disk without the
 * process's memory growing with it, and requests over MAX_REQUEST_BYTES are refused with 413,
 * whether they announce their size (Content-Length) or not (chunked), leaving nothing behind.
 * No workers run here: only the API process is under test, so accepted batches just wait.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiProcess, type ApiProcess } from './api-process.js';
import { uploadBatch } from './http.js';
import { startStack, type Stack } from './stack.js';

const MiB = 1024 * 1024;
const BIG_FILE_BYTES = 200 * MiB;
const BIG_LIMIT_BYTES = 300 * MiB;
const SMALL_REQUEST_LIMIT = 5 * MiB;
const MAX_RSS_GROWTH = 100 * MiB;
// Generous: only a server that never answers (or never closes) exceeds it.
const ANSWER_TIMEOUT_MS = 20_000;

// One MiB of ASCII lines; each block gets its number stamped in, so every MiB differs.
const LINE = 'The quick brown fox jumps over the lazy dog while docflow streams.\n';
const BASE_BLOCK = Buffer.from(LINE.repeat(Math.ceil(MiB / LINE.length)).slice(0, MiB - 1) + '\n', 'latin1');

function* textBlocks(totalBytes: number): Generator<Buffer> {
  for (let i = 0, sent = 0; sent < totalBytes; i++) {
    const block = Buffer.from(BASE_BLOCK.subarray(0, Math.min(MiB, totalBytes - sent)));
    block.write(`block ${String(i).padStart(8, '0')} `, 0, 'latin1');
    sent += block.length;
    yield block;
  }
}

interface Answer {
  status: number;
  body: string;
}

interface StreamedPost {
  /** Resolves with the response, or rejects if the connection fails before one arrives. */
  answer: Promise<Answer>;
  /** Body bytes written so far (file content plus multipart framing). */
  bytesSent(): number;
  /** Whether the response arrived before the whole body had been written. */
  answeredWhileSending(): boolean;
  /** Resolves when the body has been written completely, or writing stopped because the server answered. */
  sending: Promise<void>;
  destroy(): void;
}

/**
 * POSTs one `files` part to /api/batches with node:http, writing the body block by block and
 * honouring backpressure, so neither side ever needs the whole file in memory. With
 * `fileBytes` the request carries the exact Content-Length, with `declaredLength` that one;
 * with neither it is chunked.
 * Writing stops as soon as the server answers.
 */
function postFile(
  baseUrl: string,
  apiKey: string,
  filename: string,
  blocks: Iterable<Buffer> | null,
  options: { fileBytes?: number; declaredLength?: number; onBlock?: (block: Buffer) => void } = {},
): StreamedPost {
  const boundary = `----docflow-${randomUUID()}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${filename}"\r\nContent-Type: text/plain\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const headers: Record<string, string> = {
    authorization: `Bearer ${apiKey}`,
    'content-type': `multipart/form-data; boundary=${boundary}`,
  };
  const length = options.declaredLength ?? (options.fileBytes === undefined ? undefined : head.length + options.fileBytes + tail.length);
  if (length !== undefined) headers['content-length'] = String(length);

  const req = http.request(`${baseUrl}/api/batches`, { method: 'POST', headers });
  let sent = 0;
  let answered = false;
  let bodyComplete = false;
  let answeredEarly = false;
  const answer = new Promise<Answer>((resolve, reject) => {
    req.once('response', (res) => {
      answered = true;
      answeredEarly = !bodyComplete;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.once('error', reject);
    });
    // `on`, not `once`: a destroyed request may report more than one error.
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
  });
  answer.catch(() => undefined); // observed by the caller; never an unhandled rejection here

  const write = async (chunk: Buffer) => {
    if (answered || req.destroyed) return;
    sent += chunk.length;
    if (!req.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          req.off('drain', done);
          req.off('close', done);
          req.off('response', done);
          resolve();
        };
        req.on('drain', done);
        req.on('close', done);
        req.on('response', done);
      });
    }
  };
  const sending = (async () => {
    if (blocks === null) {
      req.flushHeaders();
      return;
    }
    await write(head);
    for (const block of blocks) {
      if (answered || req.destroyed) return;
      options.onBlock?.(block);
      await write(block);
    }
    await write(tail);
    if (!answered && !req.destroyed) {
      bodyComplete = true;
      req.end();
    }
  })();

  return {
    answer,
    bytesSent: () => sent,
    answeredWhileSending: () => answeredEarly,
    sending,
    destroy: () => req.destroy(),
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms (the connection hangs)`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Every file under a directory, relative to it (empty when the directory does not exist). */
function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

/** Files under a directory with their sizes, for leftovers reports. */
function listFilesWithSizes(dir: string): Record<string, number> {
  return Object.fromEntries(listFiles(dir).map((f) => [f, statSync(path.join(dir, f)).size]));
}

async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: MiB })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function expectStandardError(answer: Answer, code: string) {
  let parsed: { error?: { code?: unknown; message?: unknown; requestId?: unknown } };
  try {
    parsed = JSON.parse(answer.body);
  } catch {
    throw new Error(`the ${answer.status} answer is not JSON: ${answer.body.slice(0, 500)}`);
  }
  expect(parsed.error, answer.body).toBeDefined();
  expect(parsed.error?.code).toBe(code);
  expect(typeof parsed.error?.message).toBe('string');
  expect(parsed.error?.message).not.toBe('');
  expect(typeof parsed.error?.requestId).toBe('string');
  expect(parsed.error?.requestId).not.toBe('');
}

describe('upload limits of the API process', () => {
  let stack: Stack;
  const apis: ApiProcess[] = [];
  const batchIds: string[] = [];
  const bigBlobs: string[] = [];

  beforeAll(async () => {
    // Only the API process is under test: no workers, so accepted batches wait in Temporal.
    stack = await startStack({ withoutWorkers: true });
  });
  afterAll(async () => {
    await Promise.allSettled(apis.map((a) => a.stop()));
    for (const batchId of batchIds) {
      const batch = await stack.catalog.getBatch('demo', batchId);
      if (batch)
        await stack.client.workflow
          .getHandle(batch.workflowId)
          .terminate('test over')
          .catch(() => undefined);
    }
    // The data dir is kept for post-mortems; 200 MiB of fox lines do not help one.
    for (const blob of bigBlobs) rmSync(blob, { force: true });
    await stack?.close();
  });

  it('streams a 200 MiB file to disk with bounded memory and records its size and sha256', async () => {
    const api = await startApiProcess({
      ...stack.workerEnv,
      MAX_FILE_BYTES: String(BIG_LIMIT_BYTES),
      MAX_REQUEST_BYTES: String(BIG_LIMIT_BYTES),
      MAX_TEXT_FILE_BYTES: String(BIG_LIMIT_BYTES),
    });
    apis.push(api);

    // Warm up the upload path (busboy, hashing, catalog, workflow start) before the baseline.
    const warm = await uploadBatch(api.baseUrl, stack.apiKey, [{ name: 'warm-up.txt', bytes: Buffer.from(`warm-up ${randomUUID()}\n`.repeat(100)) }]);
    expect(warm.status, JSON.stringify(warm.body)).toBe(202);
    batchIds.push(warm.body.batchId);
    await new Promise((r) => setTimeout(r, 1_000));
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      samples.push(api.rssBytes());
      await new Promise((r) => setTimeout(r, 50));
    }
    const baseline = [...samples].sort((a, b) => a - b)[2];

    let peak = baseline;
    let sampleCount = 0;
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, api.rssBytes());
        sampleCount++;
      } catch {
        // the process is gone: the upload itself will fail and say why
      }
    }, 50);

    const expectedHash = createHash('sha256');
    let generated = 0;
    const started = Date.now();
    let answer: Answer;
    try {
      const post = postFile(api.baseUrl, stack.apiKey, 'big.txt', textBlocks(BIG_FILE_BYTES), {
        fileBytes: BIG_FILE_BYTES,
        onBlock: (block) => {
          expectedHash.update(block);
          generated += block.length;
        },
      });
      await post.sending;
      answer = await withTimeout(post.answer, 120_000, '200 MiB upload');
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, api.rssBytes());
    const seconds = (Date.now() - started) / 1000;
    const growth = peak - baseline;
    console.log(
      `[upload-limits] 200 MiB upload: baseline RSS ${(baseline / MiB).toFixed(1)} MiB, peak ${(peak / MiB).toFixed(1)} MiB, ` +
        `growth ${(growth / MiB).toFixed(1)} MiB over ${sampleCount} samples, ${seconds.toFixed(1)} s`,
    );

    expect(generated).toBe(BIG_FILE_BYTES);
    expect(answer.status, answer.body).toBe(202);
    const body = JSON.parse(answer.body) as { batchId: string; documents: { documentId: string; filename: string; status: string }[]; rejected: unknown[] };
    batchIds.push(body.batchId);
    expect(body.rejected).toEqual([]);
    expect(body.documents).toHaveLength(1);
    expect(body.documents[0]).toMatchObject({ filename: 'big.txt', status: 'queued' });

    const sha256 = expectedHash.digest('hex');
    const [record] = await stack.catalog.listBatchDocuments('demo', body.batchId, 0, 10);
    expect(record).toMatchObject({ id: body.documents[0].documentId, size: BIG_FILE_BYTES, contentHash: sha256, format: 'txt' });
    const blobFile = stack.blobs.blobPath(record.blobKey);
    bigBlobs.push(blobFile);
    expect(await sha256OfFile(blobFile)).toBe(sha256);
    expect(listFiles(path.join(stack.dataDir, 'files', 'tmp'))).toEqual([]);

    expect(growth, `RSS grew by ${(growth / MiB).toFixed(1)} MiB while receiving 200 MiB`).toBeLessThan(MAX_RSS_GROWTH);
  });

  describe('over MAX_REQUEST_BYTES', () => {
    let api: ApiProcess;
    beforeAll(async () => {
      api = await startApiProcess({ ...stack.workerEnv, MAX_REQUEST_BYTES: String(SMALL_REQUEST_LIMIT) });
      apis.push(api);
    });

    it('refuses a chunked upload with 413 and the standard error body, without hanging or leftovers', async () => {
      const filesDir = path.join(stack.dataDir, 'files');
      const tmpDir = path.join(filesDir, 'tmp');
      const blobsBefore = listFiles(path.join(filesDir, 'blobs'));
      // Up to 4x the limit; a server that enforces it answers long before that.
      const post = postFile(api.baseUrl, stack.apiKey, 'chunked.txt', textBlocks(4 * SMALL_REQUEST_LIMIT));
      let writing = true;
      void post.sending.finally(() => (writing = false));
      let answer: Answer | undefined;
      let problem = '';
      try {
        answer = await withTimeout(post.answer, ANSWER_TIMEOUT_MS, 'chunked upload over the limit');
      } catch (err) {
        problem = (err as Error).message;
      }
      const sent = post.bytesSent();
      const stalled = writing;
      post.destroy();
      if (!answer) {
        // Say exactly what the server did: how much it read, and what it left on disk.
        await new Promise((r) => setTimeout(r, 2_000));
        throw new Error(
          `${problem}. The client had written ${sent} body bytes (limit ${SMALL_REQUEST_LIMIT}); ` +
            (stalled ? 'its writes were blocked: the server had stopped reading without answering. ' : 'it had sent the whole body. ') +
            `2 s after the client closed the connection, DATA_DIR/files/tmp holds ${JSON.stringify(listFilesWithSizes(tmpDir))}.`,
        );
      }
      expect(answer.status, answer.body).toBe(413);
      expectStandardError(answer, 'too_large');
      expect(post.answeredWhileSending(), `the server read all ${sent} bytes before answering`).toBe(true);

      // The staged part is removed before or just after the answer; give a slow disk a moment.
      const deadline = Date.now() + 5_000;
      while (listFiles(tmpDir).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(listFilesWithSizes(tmpDir)).toEqual({});
      expect(listFiles(path.join(filesDir, 'blobs'))).toEqual(blobsBefore);

      // The process is still healthy and serving.
      const health = await fetch(`${api.baseUrl}/api/health`);
      expect(health.status).toBe(200);
    });

    it('answers 413 to a declared Content-Length over the limit before any body byte is sent', async () => {
      const post = postFile(api.baseUrl, stack.apiKey, 'declared.txt', null, { declaredLength: 2 * SMALL_REQUEST_LIMIT });
      let answer: Answer;
      try {
        await post.sending;
        answer = await withTimeout(post.answer, ANSWER_TIMEOUT_MS, 'declared-length upload (headers only)');
      } finally {
        post.destroy();
      }
      expect(post.bytesSent()).toBe(0);
      expect(answer.status, answer.body).toBe(413);
      expectStandardError(answer, 'too_large');
    });
  });
});
