/**
 * Entry point of a parse child process (spawned by pool.ts). Receives one job at a time over
 * IPC, reads the file, runs the format's parser and reports the result or a classified error.
 *
 * Everything that can go wrong with a hostile document happens here, not in the worker:
 * memory blow-ups and hangs get this process SIGKILLed by the pool; exceptions are mapped to
 * reason codes (DocumentError keeps its code, allocation failures are resource_limit, anything
 * else a parser throws is `corrupt`); an error escaping asynchronously is reported for the
 * running job and the process exits, since its state can no longer be trusted. When the parent
 * goes away (IPC disconnect) the child exits, so it can never be orphaned.
 */
import { readFile } from 'node:fs/promises';
import { DocumentError, DOC_FORMATS } from '../../core/formats.js';
import { parserRegistry, preloadParsers } from '../parsers/index.js';
import type { ChildMessage, JobMessage } from './protocol.js';

type ErrorCode = Extract<ChildMessage, { type: 'error' }>['code'];

let currentJob: number | null = null;

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return process.exit(0);
    process.send(message, undefined, {}, (err) => {
      if (err) process.exit(1);
      resolve();
    });
  });
}

const ALLOCATION = /allocation failed|Invalid (string|array|typed array) length|out of memory/i;

/** Maps anything thrown while parsing to the code and message the user will see. */
function classify(err: unknown): { code: ErrorCode; message: string } {
  if (err instanceof DocumentError) return { code: err.code, message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof RangeError && ALLOCATION.test(message)) {
    return { code: 'resource_limit', message: `The document needs more memory than the parser is allowed (${message.slice(0, 120)}).` };
  }
  return { code: 'corrupt', message: `The document could not be parsed: ${message.slice(0, 300)}` };
}

function isJob(msg: unknown): msg is JobMessage {
  if (typeof msg !== 'object' || msg === null) return false;
  const m = msg as Partial<JobMessage>;
  return (
    m.type === 'job' &&
    typeof m.id === 'number' &&
    typeof m.filePath === 'string' &&
    typeof m.format === 'string' &&
    (DOC_FORMATS as readonly string[]).includes(m.format) &&
    typeof m.limits === 'object' &&
    m.limits !== null
  );
}

async function run(job: JobMessage): Promise<void> {
  currentJob = job.id;
  let bytes: Buffer;
  try {
    bytes = await readFile(job.filePath);
  } catch (err) {
    currentJob = null;
    await send({ type: 'error', id: job.id, code: 'io', message: (err as Error).message });
    return;
  }
  try {
    const doc = await parserRegistry[job.format](new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), job.limits, {
      filePath: job.filePath,
      ocr: job.ocr,
    });
    currentJob = null;
    await send({ type: 'result', id: job.id, doc });
  } catch (err) {
    currentJob = null;
    await send({ type: 'error', id: job.id, ...classify(err) });
  }
}

async function fatal(err: unknown): Promise<void> {
  if (currentJob !== null) {
    const id = currentJob;
    currentJob = null;
    await send({ type: 'error', id, ...classify(err) }).catch(() => undefined);
  }
  process.exit(70);
}

process.on('uncaughtException', (err) => void fatal(err));
process.on('unhandledRejection', (err) => void fatal(err));
process.on('disconnect', () => {
  // The pool is gone: end this process group (this process and any OCR tool it started).
  try {
    process.kill(-process.pid, 'SIGKILL');
  } catch {
    process.exit(0);
  }
});
process.on('message', (msg: unknown) => {
  if (!isJob(msg) || currentJob !== null) {
    // A protocol violation means the parent and child disagree on state: start over.
    process.exit(71);
  }
  void run(msg);
});

// A parser that cannot even load is an installation problem: exit before 'ready', so the pool
// reports a startup failure (retryable) instead of blaming documents.
preloadParsers().then(
  () => send({ type: 'ready' }),
  (err: unknown) => {
    console.error(err);
    process.exit(78);
  },
);
