/**
 * Every hostile and broken input of the corpus (test/fixtures/bad-inputs.ts, mirroring
 * BAD_INPUTS.md) plus hostile multipart filenames, uploaded through the real HTTP API in one
 * request together with valid control documents, processed by real workers, the real parse pool
 * and the real embedding model under a real Temporal server.
 *
 * The stack's upload limits (test/stack.ts) are 50 MB per file, 200 MB per request and 100 files
 * per batch; the whole corpus is ~39 MB in under 70 files, so one request carries everything and
 * single_line_20MB.txt (20 MiB) is accepted by the API (it then fails at the parser's documented
 * 20,000,000-character cap). The text files that must be indexed are generated `compact` (same
 * shapes, fewer repetitions: CPU embedding runs at ~3 chunks/s and their BAD_INPUTS.md sizes
 * would take ~8 minutes); their full sizes are parsed and chunked separately, with a time bound
 * and a linear-work check.
 *
 * Asserted: refused files are in `rejected` with their code and nothing of them is stored;
 * accepted files end in their expected status/code with a readable message, in bounded time and
 * one attempt when they fail; controls index and are searchable; filenames are shown sanitized,
 * blobs live under content-addressed keys only, and the SSE stream ends with `done` with no frame
 * a filename could forge; the workers survive (a last batch still indexes, no parse child
 * crashed); no prototype changed.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchView, DocumentView } from '../core/contracts.js';
import { chunkDocument, type WorkMeter } from '../core/chunking.js';
import { createParsePool, type ParsePool } from '../activities/parse-pool/pool.js';
import { DEFAULT_PARSE_LIMITS } from '../activities/parsers/index.js';
import { makePdf, makeText } from './fixtures/documents.js';
import { allowedOutcomes, generateBadInputs, makeRedosProbe, type BadInput, type SingleExpectation } from './fixtures/bad-inputs.js';
import { uploadBatch, viewFromFrames, waitForBatch, type SseFrame } from './http.js';
import { startStack, type Stack } from './stack.js';

const TENANT = 'demo';
/** The whole batch must be terminal within this (measured 32-61 s on 2 cores, almost all of it CPU embedding). */
const BATCH_DEADLINE_MS = 150_000;
/** The stack's chunking (test/stack.ts), for the parse-level checks of full-size probes. */
const STACK_CHUNKING = { maxTokens: 120, overlapTokens: 20 };
/** One failing document may take at most the parse pool's time limit (60 s in the stack) plus slack. */
const FAILURE_DEADLINE_MS = 75_000;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const displayOf = (input: BadInput) => input.display ?? input.name;
const describeOutcome = (e: SingleExpectation) => ('api' in e ? `API ${e.api}` : e.status === 'indexed' ? 'indexed' : `failed(${e.codes.join('|')})`);

/** RFC 5987 ext-value: UTF-8, every byte outside attr-char percent-encoded. */
function extValue(name: string): string {
  let out = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9!#$&+.^_`|~-]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * Builds the multipart body by hand: FormData percent-encodes CR/LF/quotes in names, so hostile
 * names would never reach the server intact. `filename*` (RFC 5987, decoded by busboy) carries
 * NUL, CR, LF, backslashes and bidi controls verbatim; other names go as raw UTF-8 bytes.
 */
function multipart(inputs: BadInput[]): { body: Buffer; contentType: string } {
  const boundary = `----docflow-bad-inputs-${Date.now().toString(16)}`;
  const parts: Buffer[] = [];
  for (const input of inputs) {
    const safeRaw = !/["\\\u0000-\u001f\u007f\u202a-\u202e]/.test(input.name);
    const disposition = input.nameEncoding === 'ext-value' || !safeRaw ? `filename*=UTF-8''${extValue(input.name)}` : `filename="${input.name}"`;
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; ${disposition}\r\nContent-Type: application/octet-stream\r\n\r\n`, 'utf8'),
      Buffer.from(input.bytes),
      Buffer.from('\r\n', 'latin1'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Reads an SSE response as raw text until a complete `done` frame arrived (or the stream ended). */
async function readRawSse(url: string, apiKey: string, timeoutMs: number): Promise<string> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const res = await fetch(url, { headers: { authorization: `Bearer ${apiKey}`, accept: 'text/event-stream' }, signal: controller.signal });
    expect(res.status).toBe(200);
    const decoder = new TextDecoder();
    let raw = '';
    for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
      raw += decoder.decode(part, { stream: true });
      const done = raw.search(/(^|\n)event: done\n/);
      if (done >= 0 && raw.indexOf('\n\n', done + 1) >= 0) break;
    }
    controller.abort();
    return raw;
  } finally {
    clearTimeout(timer);
  }
}

/** Every file path under `dir`, relative to it. */
function walk(dir: string, base = dir): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? walk(full, base) : [path.relative(base, full)];
  });
}

async function search(stack: Stack, query: string, limit = 5) {
  const res = await fetch(`${stack.baseUrl}/api/search`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query, limit }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { results: { filename: string; text: string; documentId: string }[] }).results;
}

/** All chunk texts of one document, read back from the vector store. */
async function chunkTexts(stack: Stack, documentId: string, chunks: number, probe: string): Promise<string[]> {
  const [vector] = await stack.embedder.embed([probe], 'query');
  const hits = await stack.vectors.search(TENANT, vector, Math.max(chunks, 1), { documentIds: [documentId] });
  return hits.map((h) => h.payload.text);
}

describe('hostile and broken inputs through the HTTP API', () => {
  let stack: Stack;
  let inputs: BadInput[];
  let upload: { status: number; body: any };
  let view: BatchView;
  let sseRaw: string;
  let elapsedMs: number;
  /** The stack's real parse pool, captured to read its counters. */
  let stackPool: ParsePool | undefined;
  /** Accepted input -> its document in the batch. */
  const docOf = new Map<BadInput, DocumentView>();
  const rejectedOf = new Map<BadInput, { filename: string; code: string; message: string }>();

  beforeAll(async () => {
    const t0 = Date.now();
    // compact: the indexed text files keep their shapes with fewer repetitions, because CPU
    // embedding runs at ~3 chunks/s; their full BAD_INPUTS.md sizes are parsed and chunked below.
    inputs = await generateBadInputs({ log: (m) => console.log(m), compact: true });
    console.log(`[bad-inputs] generated ${inputs.length} inputs (${(inputs.reduce((n, i) => n + i.bytes.length, 0) / 2 ** 20).toFixed(1)} MiB) in ${Date.now() - t0} ms`);
    stack = await startStack({
      wrapParser: (real) => {
        stackPool = real as ParsePool;
        return real;
      },
    });

    const started = Date.now();
    const { body, contentType } = multipart(inputs);
    const res = await fetch(`${stack.baseUrl}/api/batches`, {
      method: 'POST',
      body: body as unknown as BodyInit,
      headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': contentType },
    });
    upload = { status: res.status, body: await res.json() };
    if (upload.status !== 202) throw new Error(`upload answered ${upload.status}: ${JSON.stringify(upload.body)}`);

    // Responses list files in upload order; names can repeat after sanitizing (NFD/NFC), so
    // each response row is consumed by the first input with that display name.
    const documents: { documentId: string; filename: string }[] = [...upload.body.documents];
    const rejected: { filename: string; code: string; message: string }[] = [...upload.body.rejected];
    for (const input of inputs) {
      const expectsApi = allowedOutcomes(input.expect).some((e) => 'api' in e);
      const pools = expectsApi ? [rejected, documents] : [documents, rejected];
      for (const pool of pools) {
        const at = pool.findIndex((row) => row.filename === displayOf(input));
        if (at < 0) continue;
        const [row] = pool.splice(at, 1);
        if ('code' in row) rejectedOf.set(input, row as { filename: string; code: string; message: string });
        else docOf.set(input, { documentId: (row as { documentId: string }).documentId } as DocumentView);
        break;
      }
    }
    expect(documents, 'response rows no input claimed').toEqual([]);
    expect(rejected, 'rejected rows no input claimed').toEqual([]);

    const batchId: string = upload.body.batchId;
    const sse = readRawSse(`${stack.baseUrl}/api/batches/${batchId}/events`, stack.apiKey, BATCH_DEADLINE_MS + 10_000).then(
      (raw) => ({ raw }),
      (error: unknown) => ({ error }),
    );
    view = await waitForBatch(stack.baseUrl, stack.apiKey, batchId, BATCH_DEADLINE_MS);
    elapsedMs = Date.now() - started;
    const read = await sse;
    if ('error' in read) throw read.error;
    sseRaw = read.raw;
    const byId = new Map(view.documents.map((d) => [d.documentId, d]));
    for (const [input, stub] of docOf) docOf.set(input, byId.get(stub.documentId)!);
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('refuses at upload exactly the files BAD_INPUTS.md says, with their codes, storing nothing of them', () => {
    const blobsDir = path.join(stack.dataDir, 'files', 'blobs');
    for (const input of inputs) {
      const allowed = allowedOutcomes(input.expect);
      const apiCodes = allowed.flatMap((e) => ('api' in e ? [e.api] : []));
      const rejected = rejectedOf.get(input);
      if (apiCodes.length === 0) {
        expect(rejected, `${input.name} was refused: ${JSON.stringify(rejected)}`).toBeUndefined();
        continue;
      }
      if (allowed.length === apiCodes.length) expect(rejected, `${input.name} was accepted; expected ${apiCodes.join('|')}`).toBeDefined();
      if (!rejected) continue;
      expect(apiCodes, `${input.name}: ${rejected.message}`).toContain(rejected.code);
      expect(rejected.message.length, input.name).toBeGreaterThan(5);
      const sha = sha256(input.bytes);
      expect(existsSync(path.join(blobsDir, 'sha256', sha.slice(0, 2), sha)), `${input.name} stored`).toBe(false);
    }
    // Staged uploads of refused files were discarded, not left behind.
    expect(walk(path.join(stack.dataDir, 'files', 'tmp'))).toEqual([]);
    // The zip-slip entry was never extracted anywhere.
    for (const root of ['/tmp', path.join(stack.dataDir, 'files', 'tmp'), path.join(stack.dataDir, 'files', 'blobs')]) {
      expect(existsSync(path.resolve(root, '../../../../tmp/docflow_zipslip.txt'))).toBe(false);
    }
    expect(existsSync('/tmp/docflow_zipslip.txt')).toBe(false);
  });

  it('ends every accepted file in its expected state, with a readable message, in bounded time', () => {
    const rows: string[] = [];
    const problems: string[] = [];
    for (const input of inputs) {
      const allowed = allowedOutcomes(input.expect);
      const expected = allowed.map(describeOutcome).join(' or ');
      const rejected = rejectedOf.get(input);
      const doc = docOf.get(input);
      let actual: string;
      if (rejected) actual = `API ${rejected.code}`;
      else if (!doc) actual = 'missing';
      else actual = doc.status === 'failed' ? `failed(${doc.error?.code})` : doc.status;
      const took = doc?.startedAt && doc.finishedAt ? `${doc.finishedAt - doc.startedAt} ms` : '';
      rows.push(`${displayOf(input).slice(0, 48).padEnd(48)} ${expected.padEnd(40)} ${actual.padEnd(26)} ${took}`);
      if (rejected) continue; // checked above
      const ok = allowed.some((e) => ('api' in e ? false : e.status === 'indexed' ? doc?.status === 'indexed' : doc?.status === 'failed' && e.codes.includes(doc.error!.code)));
      if (!ok) problems.push(`${input.name}: expected ${expected}, got ${actual} ${JSON.stringify(doc?.error)}`);
      if (!doc) continue;
      if (doc.status === 'failed') {
        const message = doc.error!.message;
        // Human-readable: a sentence, not a stack trace or an internal error dump.
        if (!(message.length > 10 && !/\n\s+at /.test(message) && /[a-z]{3}/.test(message))) problems.push(`${input.name}: unreadable message ${JSON.stringify(message)}`);
        if (doc.attempt !== 1) problems.push(`${input.name}: failed after ${doc.attempt} attempts (must fail at once)`);
        if (doc.startedAt && doc.finishedAt && doc.finishedAt - doc.startedAt > FAILURE_DEADLINE_MS) problems.push(`${input.name}: took ${doc.finishedAt - doc.startedAt} ms`);
      }
      if (doc.status === 'indexed' && doc.chunks <= 0) problems.push(`${input.name}: indexed with ${doc.chunks} chunks`);
    }
    console.log(
      `[bad-inputs] batch terminal in ${elapsedMs} ms (${view.status})\n${'file'.padEnd(48)} ${'expected'.padEnd(40)} ${'actual'.padEnd(26)} parse+index\n${rows.join('\n')}`,
    );
    expect(problems).toEqual([]);
    expect(elapsedMs).toBeLessThan(BATCH_DEADLINE_MS);
    expect(view.status).toBe('completed_with_errors');
  });

  it('indexes the controls and everything expected indexed, with the right text and nothing it must not contain', async () => {
    let hostname = '';
    try {
      hostname = readFileSync('/etc/hostname', 'utf8').trim();
    } catch {
      // no /etc/hostname: nothing to leak
    }
    for (const input of inputs) {
      const doc = docOf.get(input);
      if (!doc || doc.status !== 'indexed') continue;
      expect(await stack.vectors.countDocument(TENANT, doc.documentId), input.name).toBe(doc.chunks);
      const texts = await chunkTexts(stack, doc.documentId, doc.chunks, input.mustContain ?? displayOf(input));
      expect(texts.length, input.name).toBe(doc.chunks);
      const all = texts.join('\n');
      if (input.mustContain) expect(all, input.name).toContain(input.mustContain);
      for (const bad of input.mustNotContain ?? []) expect(all.includes(bad), `${input.name} contains ${JSON.stringify(bad)}`).toBe(false);
      expect(all.includes('\ufffd'), `${input.name} has replacement characters`).toBe(false);
      if (input.name === 'docx_rlink_localfile.docx' && hostname.length >= 6) expect(all).not.toContain(hostname);
    }
    for (const control of inputs.filter((i) => i.kind === 'control')) {
      expect(docOf.get(control)?.status, control.name).toBe('indexed');
      const results = await search(stack, control.query!, 3);
      expect(results[0]?.filename, `${control.query} -> ${JSON.stringify(results.map((r) => r.filename))}`).toBe(control.name);
    }
  });

  it('shows hostile filenames sanitized and stores every file under a content-addressed key only', async () => {
    for (const input of inputs.filter((i) => i.kind === 'filename')) {
      const doc = docOf.get(input);
      const shown = doc?.filename ?? rejectedOf.get(input)?.filename;
      expect(shown, input.name).toBe(input.display ?? input.name);
      expect(shown).not.toMatch(/[\u0000-\u001f\u007f\u202a-\u202e/\\]/);
      expect(shown!.length).toBeLessThanOrEqual(200);
      if (!doc) continue;
      const record = await stack.catalog.getDocument(TENANT, doc.documentId);
      const sha = sha256(input.bytes);
      expect(record?.filename).toBe(input.display ?? input.name);
      expect(record?.blobKey).toBe(`sha256/${sha.slice(0, 2)}/${sha}`);
      expect(await stack.blobs.hasBlob(record!.blobKey)).toBe(true);
    }
    for (const file of walk(path.join(stack.dataDir, 'files', 'blobs'))) expect(file).toMatch(/^sha256\/[0-9a-f]{2}\/[0-9a-f]{64}$/);
    const everything = walk(stack.dataDir).join('\n');
    for (const fragment of ['passwd', 'win.ini', 'hosts.txt', 'CON.pdf', 'Résumé', 'crlf', 'LLLLLLLL', 'gnp', 'invoice']) {
      expect(everything.includes(fragment), `a stored path contains ${fragment}`).toBe(false);
    }
  });

  it('streams a snapshot, deltas and one final done frame that no filename can forge', () => {
    expect(sseRaw.includes('\r'), 'raw CR in the event stream').toBe(false);
    const frames = sseRaw.split('\n\n').filter((f) => f.trim() !== '');
    const parsed: SseFrame[] = [];
    for (const frame of frames) {
      const lines = frame.split('\n');
      if (lines.every((l) => l.startsWith(':'))) continue; // keep-alive comment
      let event = 'message';
      let id: string | null = null;
      let data = '';
      for (const line of lines) {
        expect(line, `unexpected SSE line ${JSON.stringify(line.slice(0, 120))}`).toMatch(/^(event: (snapshot|progress|done)|id: \d+|data: .*|:.*)$/);
        if (line.startsWith('event: ')) event = line.slice(7);
        if (line.startsWith('id: ')) id = line.slice(4);
        if (line.startsWith('data: ')) data += line.slice(6);
      }
      expect((JSON.parse(data) as { batchId: string }).batchId).toBe(upload.body.batchId);
      parsed.push({ event, id, data });
    }
    const events = parsed.map((f) => f.event);
    expect(events[0]).toBe('snapshot');
    expect(events.at(-1)).toBe('done');
    expect(events.filter((e) => e === 'done')).toHaveLength(1);
    expect(events.slice(1, -1).every((e) => e === 'progress')).toBe(true);
    const last = viewFromFrames(parsed)!;
    const crlf = inputs.find((i) => i.name.startsWith('crlf'))!;
    expect(last.documents.map((d) => d.filename)).toContain(crlf.display);
  });

  it('keeps the workers alive: a last small batch still indexes', async () => {
    const res = await uploadBatch(stack.baseUrl, stack.apiKey, [
      { name: 'after-the-storm.txt', bytes: makeText('After every hostile file, the night ferry still crosses the bay on time.') },
      { name: 'after-the-storm.pdf', bytes: makePdf(['After every hostile file, the orchard still ships pears to the city.']) },
    ]);
    expect(res.status).toBe(202);
    const last = await waitForBatch(stack.baseUrl, stack.apiKey, res.body.batchId, 60_000);
    expect(last.status).toBe('completed');
    for (const doc of last.documents) {
      expect(doc.status, JSON.stringify(doc.error)).toBe('indexed');
      expect(doc.chunks).toBeGreaterThan(0);
    }
    const health = await fetch(`${stack.baseUrl}/api/health`);
    expect(health.status).toBe(200);
    // Every hostile file was classified inside its parse child: none of them crashed one.
    const stats = stackPool!.stats();
    console.log(`[bad-inputs] parse pool after everything: ${JSON.stringify(stats)}`);
    expect(stats.crashed).toBe(0);
    expect(stats.alive).toBeGreaterThan(0);
  });

  it('parses and chunks the full-size (BAD_INPUTS.md) text probes in bounded, linear time', async () => {
    const full = await generateBadInputs({ log: () => {} });
    const compactSizes = new Map(inputs.map((i) => [i.name, i.bytes.length]));
    const resized = full.filter((i) => compactSizes.has(i.name) && compactSizes.get(i.name) !== i.bytes.length);
    expect(resized.map((i) => i.name).sort()).toEqual(['latin1.txt', 'nul_bytes.txt', 'prompt_injection.txt', 'redos_probe.txt', 'utf16le_nobom.txt']);
    const dir = path.join(stack.dataDir, 'full-size-probes');
    mkdirSync(dir, { recursive: true });
    // Same isolation and caps as the stack's parse pool.
    const pool = createParsePool({ size: 1, memoryLimitMb: 768, timeoutMs: 60_000, limits: DEFAULT_PARSE_LIMITS });
    try {
      for (const input of resized) {
        const file = path.join(dir, input.name);
        writeFileSync(file, input.bytes);
        const started = Date.now();
        const parsed = await pool.parse(file, 'txt');
        const chunks = chunkDocument(parsed, STACK_CHUNKING);
        const ms = Date.now() - started;
        console.log(`[bad-inputs] full-size ${input.name}: ${input.bytes.length} bytes -> ${chunks.length} chunks in ${ms} ms`);
        expect(chunks.length, input.name).toBeGreaterThan(0);
        expect(ms, input.name).toBeLessThan(10_000);
        if (input.mustContain) expect(chunks.map((c) => c.text).join('\n')).toContain(input.mustContain);
      }
      // Doubling the backtracking traps about doubles the chunker's work (quadratic would be ~4x).
      const work = async (run: number) => {
        const file = path.join(dir, `redos-${run}.txt`);
        writeFileSync(file, makeRedosProbe(run));
        const parsed = await pool.parse(file, 'txt');
        const meter: WorkMeter = { steps: 0 };
        chunkDocument(parsed, STACK_CHUNKING, meter);
        return meter.steps;
      };
      const ratio = (await work(100_000)) / (await work(50_000));
      expect(ratio).toBeLessThan(2.5);
    } finally {
      await pool.close();
    }
  });

  it('changed no prototype in the test process', () => {
    expect(({} as any).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});
