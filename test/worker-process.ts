/**
 * A real worker process (`worker/main.ts`) for integration tests: spawned with a stack's
 * environment, its JSON log lines collected, waited on and signalled like an operator would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const REPO = path.resolve(import.meta.dirname, '..');

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Every stdout line that parsed as a JSON object, in order. */
  readonly logs: Record<string, unknown>[];
  /** Resolves with the first log line whose `msg` is `msg`; rejects if the process exits first or on timeout. */
  waitForLog(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves when the process has exited (at once if it already has). */
  exited: Promise<WorkerExit>;
  /** Sends a signal, unless the process has already exited. */
  signal(signal: NodeJS.Signals): void;
}

export interface StartWorkerOptions {
  env: NodeJS.ProcessEnv;
  /** Command-line flags for worker/main.ts, e.g. ['--queue', 'all', '--identity', 'a@test']. */
  args: string[];
  /** Prefix of the stderr lines echoed to the test output. */
  label: string;
}

export function startWorkerProcess(opts: StartWorkerOptions): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'worker/main.ts'), ...opts.args], {
    env: opts.env,
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  let pending = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    pending += text;
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (!line.startsWith('{')) continue;
      try {
        const parsed: unknown = JSON.parse(line);
        if (parsed && typeof parsed === 'object') logs.push(parsed as Record<string, unknown>);
      } catch {
        // Not one of ours (e.g. a library printing an object); only JSON log lines count.
      }
    }
    for (const wake of waiters) wake();
  });
  child.stderr!.setEncoding('utf8').on('data', (text: string) => {
    for (const line of text.split('\n')) if (line.trim()) process.stderr.write(`[${opts.label}] ${line}\n`);
  });
  const exited = new Promise<WorkerExit>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
      for (const wake of waiters) wake();
    });
  });

  const waitForLog = (msg: string, timeoutMs = 60_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const found = logs.find((l) => l.msg === msg);
        if (found) return done(() => resolve(found));
        if (child.exitCode !== null || child.signalCode !== null) {
          return done(() => reject(new Error(`${opts.label} exited (${child.signalCode ?? child.exitCode}) before logging "${msg}"`)));
        }
      };
      const timer = setTimeout(() => done(() => reject(new Error(`${opts.label} did not log "${msg}" within ${timeoutMs} ms`))), timeoutMs);
      const done = (settle: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        settle();
      };
      waiters.add(check);
      check();
    });

  return {
    child,
    logs,
    waitForLog,
    exited,
    signal(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}
