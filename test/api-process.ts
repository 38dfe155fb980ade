/**
 * Runs the real API entry point (runtime/api-main.ts) as its own OS process, so tests can
 * measure its memory, send it signals and restart it, which an in-process server cannot show.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { findFreePort } from '../scripts/services/ports.js';

const REPO = path.resolve(import.meta.dirname, '..');
const HOST = '127.0.0.1';
// Enough of the process's output to explain a failed start or a crash, without growing forever.
const KEEP_OUTPUT_CHARS = 64 * 1024;

/** A running API process; why: tests drive it over HTTP and through signals like an operator would. */
export interface ApiProcess {
  baseUrl: string;
  port: number;
  pid: number;
  /** Resident set size of the process right now, from /proc/<pid>/status (VmRSS). */
  rssBytes(): number;
  /** The last stdout/stderr lines of the process, for failure messages. */
  output(): string;
  /** Sends `signal` (SIGTERM by default) and resolves once the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILLs the process and resolves once it has exited. */
  kill(): Promise<void>;
}

/** How to start the API process; why: restart tests reuse a port, quiet tests silence stderr. */
export interface ApiProcessOptions {
  /** Port to listen on; a free one by default. Pass a previous process's port to restart "in place". */
  port?: number;
  /** How long to wait for /api/health to answer 200. */
  readyTimeoutMs?: number;
  /** Echo the process's stderr to this process's stderr (stdout is only kept for output()). */
  echoStderr?: boolean;
}

/** Reads VmRSS of a live process in bytes; why: the API's memory is what upload tests bound. */
export function readRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS line in /proc/${pid}/status (has the process exited?)`);
  return Number(match[1]) * 1024;
}

/** Starts `node --import tsx runtime/api-main.ts` with `env` (plus PORT and HOST); why: tests need the real process. */
export async function startApiProcess(env: NodeJS.ProcessEnv, options: ApiProcessOptions = {}): Promise<ApiProcess> {
  const port = options.port ?? (await findFreePort());
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'runtime/api-main.ts')], {
    env: { ...env, PORT: String(port), HOST },
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('the API process could not be spawned');
  const pid = child.pid;

  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-KEEP_OUTPUT_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', (chunk: Buffer) => {
    keep(chunk);
    if (options.echoStderr ?? true) process.stderr.write(`[api ${pid}] ${chunk}`);
  });

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void exited.then((e) => {
    exit = e;
  });

  const baseUrl = `http://${HOST}:${port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  let lastProblem = 'no answer yet';
  for (;;) {
    if (exit) throw new Error(`the API process exited before it was ready (${JSON.stringify(exit)}):\n${log}`);
    try {
      const res = await fetch(`${baseUrl}/api/health`, { signal: AbortSignal.timeout(5_000) });
      const body = await res.text();
      if (res.status === 200) break;
      lastProblem = `health answered ${res.status}: ${body}`;
    } catch (err) {
      lastProblem = (err as Error).message;
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exited;
      throw new Error(`the API process was not ready in time (${lastProblem}):\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (!exit) {
      child.kill(signal);
      // A process that ignores the signal must not outlive the test run.
      const forced = setTimeout(() => child.kill('SIGKILL'), 15_000);
      try {
        await exited;
      } finally {
        clearTimeout(forced);
      }
    }
    return exited;
  };

  return {
    baseUrl,
    port,
    pid,
    rssBytes: () => readRssBytes(pid),
    output: () => log,
    stop,
    async kill() {
      await stop('SIGKILL');
    },
  };
}
