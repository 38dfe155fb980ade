/**
 * A pool of long-lived parse child processes: the isolation boundary between hostile documents
 * and the worker process.
 *
 * Why processes: a worker thread's resourceLimits do not cap Buffers/ArrayBuffers (pdf.js,
 * JSZip and SheetJS allocate most of their memory there), and a parser stuck in a tight loop
 * cannot be interrupted from the same thread. A process can be measured (RSS from /proc) and
 * SIGKILLed. Each child runs one job at a time; extra jobs queue. A child is killed when its
 * RSS exceeds memoryLimitMb (polled every ~25 ms; `--max-old-space-size` caps only the V8 heap)
 * or the job exceeds timeoutMs; both, and any crash, fail the job with `resource_limit`, and
 * the pool starts a fresh child for the next job. Children are recycled after a number of jobs
 * so slow leaks in third-party parsers never accumulate.
 *
 * The parent trusts nothing a child sends: results are rebuilt field by field (protocol.ts),
 * so prototype pollution inside a child stays inside that child.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DocumentError, type DocFormat } from '../../core/formats.js';
import type { ParsedDocument } from '../../core/parsed.js';
import type { ParseLimits } from '../parsers/types.js';
import { toError, toParsedDocument, type JobMessage } from './protocol.js';

/** Pool configuration; the optional knobs exist for tests and tuning, defaults suit production. */
export interface ParsePoolOptions {
  size: number;
  memoryLimitMb: number;
  timeoutMs: number;
  limits: ParseLimits;
  /** Jobs a child runs before it is replaced (default 200). */
  recycleAfterJobs?: number;
  /** RSS polling period in ms (default 25). */
  rssPollMs?: number;
}

/** Counters for dashboards and tests; `pids` lets operators (and tests) find the children. */
export interface ParsePoolStats {
  size: number;
  alive: number;
  starting: number;
  busy: number;
  idle: number;
  queued: number;
  completed: number;
  failed: number;
  killedForMemory: number;
  killedForTimeout: number;
  crashed: number;
  cancelled: number;
  recycled: number;
  peakRssMb: number;
  pids: number[];
}

/** What callers use: parse a stored file in isolation, inspect, shut down. */
export interface ParsePool {
  parse(filePath: string, format: DocFormat, signal?: AbortSignal): Promise<ParsedDocument>;
  close(): Promise<void>;
  stats(): ParsePoolStats;
}

type KillReason = 'memory' | 'timeout' | 'cancelled' | 'closing' | 'recycle' | 'protocol';

interface Job {
  id: number;
  filePath: string;
  format: DocFormat;
  resolve: (doc: ParsedDocument) => void;
  reject: (err: Error) => void;
  settled: boolean;
  child: Child | null;
  detach?: () => void;
}

interface Child {
  proc: ChildProcess;
  pid: number;
  ready: boolean;
  dead: boolean;
  job: Job | null;
  jobsDone: number;
  killReason: KillReason | null;
  timer: NodeJS.Timeout | null;
  poll: NodeJS.Timeout | null;
  stderrTail: string;
  exited: Promise<void>;
  markExited: () => void;
}

const HERE = import.meta.url;
// Run as TypeScript through tsx in development/tests; a compiled build ships child.js and needs no loader.
const IS_TS = HERE.endsWith('.ts');
const CHILD_SCRIPT = fileURLToPath(new URL(IS_TS ? './child.ts' : './child.js', HERE));
const PRELOAD_URL = new URL('./preload.mjs', HERE).href;
// Resolved from this file, not the cwd, so the pool works whatever directory the worker starts in.
const TSX_LOADER_URL = IS_TS ? pathToFileURL(createRequire(HERE).resolve('tsx')).href : null;

/** Consecutive children dying before 'ready' after which queued jobs are failed instead of retried. */
const MAX_STARTUP_FAILURES = 3;

function readRssMb(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    const at = status.indexOf('VmRSS:');
    if (at === -1) return null;
    const kb = parseInt(status.slice(at + 6, status.indexOf('\n', at)), 10);
    return Number.isFinite(kb) ? kb / 1024 : null;
  } catch {
    return null; // not Linux, or the process is already gone
  }
}

function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  // The child's flags are ours alone; inherited NODE_OPTIONS could lift the heap cap or add loaders.
  delete env.NODE_OPTIONS;
  return env;
}

function cancelledError(): DocumentError {
  return new DocumentError('cancelled', 'Parsing was cancelled.');
}

/** Starts a pool; children are spawned lazily, up to opts.size, as jobs arrive. */
export function createParsePool(opts: ParsePoolOptions): ParsePool {
  const size = Math.max(1, Math.floor(opts.size));
  const recycleAfter = Math.max(1, opts.recycleAfterJobs ?? 200);
  const rssPollMs = Math.max(5, opts.rssPollMs ?? 25);
  const limits: ParseLimits = { ...opts.limits };
  const children: Child[] = [];
  const queue: Job[] = [];
  let nextId = 1;
  let closed = false;
  let startupFailures = 0;
  const counters = {
    completed: 0,
    failed: 0,
    killedForMemory: 0,
    killedForTimeout: 0,
    crashed: 0,
    cancelled: 0,
    recycled: 0,
    peakRssMb: 0,
  };

  function settle(job: Job, result: { err: Error } | { doc: ParsedDocument }): void {
    if (job.settled) return;
    job.settled = true;
    job.detach?.();
    job.child = null;
    if ('err' in result) {
      counters.failed++;
      job.reject(result.err);
    } else {
      counters.completed++;
      job.resolve(result.doc);
    }
  }

  function setRef(child: Child, on: boolean): void {
    // Idle children must not keep the worker process alive on their own.
    const handles = [child.proc, child.proc.channel, child.proc.stderr] as ({ ref?: () => void; unref?: () => void } | null | undefined)[];
    for (const h of handles) (on ? h?.ref : h?.unref)?.call(h);
  }

  function stopWatch(child: Child): void {
    if (child.timer) clearTimeout(child.timer);
    if (child.poll) clearInterval(child.poll);
    child.timer = null;
    child.poll = null;
  }

  function kill(child: Child, reason: KillReason): void {
    if (child.dead) return;
    child.killReason ??= reason;
    try {
      child.proc.kill('SIGKILL');
    } catch {
      // already gone; 'exit' will follow
    }
  }

  function memoryError(): DocumentError {
    return new DocumentError('resource_limit', `Parsing this document needed more than the ${opts.memoryLimitMb} MB memory limit.`);
  }

  function deathError(child: Child, code: number | null, signal: NodeJS.Signals | null): Error {
    switch (child.killReason) {
      case 'memory':
        return memoryError();
      case 'timeout':
        return new DocumentError('resource_limit', `Parsing this document took longer than the ${Math.round(opts.timeoutMs / 1000)} s time limit.`);
      case 'cancelled':
        return cancelledError();
      case 'closing':
        return new Error('The parse pool was closed.');
      default:
        counters.crashed++;
        if (/heap out of memory|Allocation failed/i.test(child.stderrTail)) return memoryError();
        return new DocumentError('resource_limit', `The parser process died (${signal ?? `exit code ${code}`}) while reading this document.`);
    }
  }

  function onExit(child: Child, code: number | null, signal: NodeJS.Signals | null): void {
    if (child.dead) return;
    child.dead = true;
    stopWatch(child);
    const at = children.indexOf(child);
    if (at !== -1) children.splice(at, 1);
    if (child.killReason === 'memory') counters.killedForMemory++;
    if (child.killReason === 'timeout') counters.killedForTimeout++;
    if (child.killReason === 'cancelled') counters.cancelled++;
    if (child.killReason === 'recycle') counters.recycled++;
    if (child.job) {
      const job = child.job;
      child.job = null;
      settle(job, { err: deathError(child, code, signal) });
    }
    if (!child.ready && child.killReason === null && !closed) {
      startupFailures++;
      if (startupFailures >= MAX_STARTUP_FAILURES) {
        startupFailures = 0;
        const why = child.stderrTail.trim().split('\n').slice(-3).join(' | ');
        for (const job of queue.splice(0)) settle(job, { err: new Error(`Parse child processes fail to start: ${why}`) });
      }
    }
    child.markExited();
    pump();
  }

  function onMessage(child: Child, msg: unknown): void {
    // Once a kill is decided (limit, cancel, close) it stands, even if a result races it.
    if (child.dead || child.killReason !== null) return;
    if (typeof msg !== 'object' || msg === null) return kill(child, 'protocol');
    const m = msg as Record<string, unknown>;
    if (m.type === 'ready') {
      child.ready = true;
      startupFailures = 0;
      setRef(child, false); // dispatch re-refs it; an idle child must not pin the event loop
      pump();
      return;
    }
    const job = child.job;
    if (!job || m.id !== job.id || (m.type !== 'result' && m.type !== 'error')) return kill(child, 'protocol');
    stopWatch(child);
    child.job = null;
    child.jobsDone++;
    if (m.type === 'result') {
      let doc: ParsedDocument | null = null;
      try {
        doc = toParsedDocument(m.doc, job.format);
      } catch (err) {
        settle(job, { err: err as Error });
      }
      if (doc) settle(job, { doc });
    } else {
      settle(job, { err: toError(m.code, m.message) });
    }
    if (child.jobsDone >= recycleAfter) kill(child, 'recycle');
    else setRef(child, false);
    pump();
  }

  function spawnChild(): void {
    const args = [`--max-old-space-size=${Math.max(16, Math.floor(opts.memoryLimitMb))}`, '--import', PRELOAD_URL];
    if (TSX_LOADER_URL) args.push('--import', TSX_LOADER_URL);
    args.push(CHILD_SCRIPT);
    const proc = spawn(process.execPath, args, {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
      env: childEnv(),
    });
    let markExited = () => {};
    const exited = new Promise<void>((resolve) => (markExited = resolve));
    const child: Child = {
      proc,
      pid: proc.pid ?? -1,
      ready: false,
      dead: false,
      job: null,
      jobsDone: 0,
      killReason: null,
      timer: null,
      poll: null,
      stderrTail: '',
      exited,
      markExited,
    };
    children.push(child);
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (chunk: string) => {
      child.stderrTail = (child.stderrTail + chunk).slice(-4096);
    });
    proc.on('message', (msg) => onMessage(child, msg));
    proc.on('exit', (code, signal) => onExit(child, code, signal));
    proc.on('error', (err) => {
      // Spawn failures may never emit 'exit'; other errors (kill/send on a dead child) are followed by it.
      if (proc.pid === undefined) {
        child.stderrTail += `\n${err.message}`;
        onExit(child, null, null);
      }
    });
  }

  function dispatch(child: Child, job: Job): void {
    child.job = job;
    job.child = child;
    setRef(child, true);
    const message: JobMessage = { type: 'job', id: job.id, filePath: job.filePath, format: job.format, limits };
    child.proc.send(message, (err) => {
      if (err) kill(child, 'protocol');
    });
    child.timer = setTimeout(() => kill(child, 'timeout'), opts.timeoutMs);
    child.poll = setInterval(() => {
      const rss = readRssMb(child.pid);
      if (rss === null) return;
      if (rss > counters.peakRssMb) counters.peakRssMb = rss;
      if (rss > opts.memoryLimitMb) kill(child, 'memory');
    }, rssPollMs);
  }

  function pump(): void {
    if (closed) return;
    while (queue.length > 0) {
      const idle = children.find((c) => c.ready && !c.dead && c.job === null && c.killReason === null);
      if (!idle) break;
      dispatch(idle, queue.shift()!);
    }
    const starting = children.filter((c) => !c.ready && !c.dead).length;
    let wanted = queue.length - starting;
    while (wanted > 0 && children.length < size) {
      try {
        spawnChild();
      } catch (err) {
        // spawn() throwing synchronously (EMFILE, EAGAIN...) must not take the worker down.
        for (const job of queue.splice(0)) settle(job, { err: new Error(`Cannot start a parse child: ${(err as Error).message}`) });
        return;
      }
      wanted--;
    }
  }

  function parse(filePath: string, format: DocFormat, signal?: AbortSignal): Promise<ParsedDocument> {
    if (closed) return Promise.reject(new Error('The parse pool is closed.'));
    if (signal?.aborted) return Promise.reject(cancelledError());
    return new Promise<ParsedDocument>((resolve, reject) => {
      const job: Job = { id: nextId++, filePath, format, resolve, reject, settled: false, child: null };
      if (signal) {
        const onAbort = () => {
          if (job.child) {
            kill(job.child, 'cancelled');
          } else {
            const at = queue.indexOf(job);
            if (at !== -1) queue.splice(at, 1);
            counters.cancelled++;
            settle(job, { err: cancelledError() });
          }
        };
        signal.addEventListener('abort', onAbort, { once: true });
        job.detach = () => signal.removeEventListener('abort', onAbort);
      }
      queue.push(job);
      pump();
    });
  }

  async function close(): Promise<void> {
    closed = true;
    for (const job of queue.splice(0)) settle(job, { err: new Error('The parse pool was closed.') });
    const all = children.slice();
    for (const child of all) {
      setRef(child, true); // keep the loop alive until every child has really exited
      kill(child, 'closing');
    }
    await Promise.all(all.map((c) => c.exited));
  }

  function stats(): ParsePoolStats {
    const alive = children.filter((c) => !c.dead);
    return {
      size,
      alive: alive.length,
      starting: alive.filter((c) => !c.ready).length,
      busy: alive.filter((c) => c.job !== null).length,
      idle: alive.filter((c) => c.ready && c.job === null).length,
      queued: queue.length,
      ...counters,
      peakRssMb: Math.round(counters.peakRssMb),
      pids: alive.map((c) => c.pid),
    };
  }

  return { parse, close, stats };
}
