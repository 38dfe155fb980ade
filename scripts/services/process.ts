import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** One-line progress sink the start helpers share, so callers choose console, file or silence. */
export type Log = (message: string) => void;

/** How a supervised child ended; `error` is set when it could not even be spawned. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

/** What the service helpers need to start a long-running server without leaking it. */
export interface SpawnSupervisedOptions {
  /** Short label used in log lines and error messages. */
  name: string;
  command: string;
  args: string[];
  /** stdout and stderr are appended here, never to the parent's console. */
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** A child the parent owns: it is stopped when asked, and when the parent goes away. */
export interface SupervisedChild {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves once the process has ended, however it ended; never rejects. */
  readonly exited: Promise<ExitInfo>;
  /** Set once `exited` has resolved, for synchronous checks in polling loops. */
  readonly exitInfo: ExitInfo | undefined;
  /** SIGTERM to the child's process group, then SIGKILL if it is still there after timeoutMs. */
  stop(timeoutMs?: number): Promise<void>;
}

const DEFAULT_STOP_TIMEOUT_MS = 10_000;
// How long the synchronous 'exit' hook may block the dying parent before it gives up waiting.
const EXIT_HOOK_GRACE_MS = 3_000;
const PARENT_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

const live = new Set<Supervised>();
let hooksInstalled = false;

interface Supervised {
  child: ChildProcess;
  pid: number;
  isRunning(): boolean;
}

/**
 * Spawns a server in its own process group with output going to a log file, and registers it
 * so the parent's Ctrl-C, SIGTERM or exit also stops it. The own group means a terminal's
 * Ctrl-C does not hit the child directly: the parent decides how it stops, and a group kill
 * also reaches anything the child itself started.
 */
export function spawnSupervised(options: SpawnSupervisedOptions): SupervisedChild {
  fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
  const fd = fs.openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', fd, fd],
      detached: true,
    });
  } finally {
    // The child holds its own copy of the descriptor; the parent must not leak one per start.
    fs.closeSync(fd);
  }

  let exitInfo: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
  }).then((info) => {
    exitInfo = info;
    live.delete(entry);
    if (live.size === 0) removeParentHooks();
    return info;
  });

  const pid = child.pid ?? -1;
  const entry: Supervised = { child, pid, isRunning: () => exitInfo === undefined && pid > 0 };
  if (pid > 0) {
    live.add(entry);
    installParentHooks();
  }

  const stop = async (timeoutMs = DEFAULT_STOP_TIMEOUT_MS): Promise<void> => {
    if (!entry.isRunning()) {
      await exited;
      return;
    }
    signalGroup(pid, 'SIGTERM');
    const ended = await settlesWithin(exited, timeoutMs);
    if (!ended) {
      signalGroup(pid, 'SIGKILL');
      await exited;
    }
    // The leader is gone; anything it left behind in its group goes too.
    signalGroup(pid, 'SIGKILL');
  };

  return {
    name: options.name,
    pid,
    logFile: options.logFile,
    exited,
    get exitInfo() {
      return exitInfo;
    },
    stop,
  };
}

/**
 * Last lines of a log file, for error messages that say why a server did not come up
 * without making the user go looking for the file.
 */
export function readLogTail(file: string, lines = 20): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log output)';
  }
}

/** Promise-based sleep used by the readiness polling loops. */
/** Whether a process exists (EPERM means it does, owned by someone else); used to spot stale locks and dirs. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Like racing against delay(), but clears its timer: a pending timer would keep the parent
// (e.g. vitest's main process) alive for the whole timeout after the child already exited.
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone. Fall back to the pid in case setsid did not happen.
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

// A parent signal stops every child, then lets the signal do what it would have done: when
// nobody else listens, that is to terminate, so the hook re-raises it after removing itself.
// When the parent has a handler of its own (e.g. `npm start`, which stops its workers before
// the servers they drain against), that handler is in charge; the 'exit' hook stays the net.
function onParentSignal(signal: NodeJS.Signals): void {
  const others = process.listenerCount(signal) - 1;
  if (others > 0) return;
  const children = [...live];
  for (const c of children) signalGroup(c.pid, 'SIGTERM');
  const allExited = Promise.all(children.map((c) => new Promise((r) => (c.isRunning() ? c.child.once('exit', r) : r(null)))));
  void settlesWithin(allExited, DEFAULT_STOP_TIMEOUT_MS).then(() => {
    for (const c of children) if (c.isRunning()) signalGroup(c.pid, 'SIGKILL');
    if (others === 0) {
      removeParentHooks();
      process.kill(process.pid, signal);
    }
  });
}

// 'exit' handlers cannot wait on the event loop, so this one polls synchronously, briefly.
function onParentExit(): void {
  const children = [...live];
  if (children.length === 0) return;
  for (const c of children) signalGroup(c.pid, 'SIGTERM');
  const deadline = Date.now() + EXIT_HOOK_GRACE_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (Date.now() < deadline && children.some((c) => isAliveNow(c.pid))) Atomics.wait(pause, 0, 0, 50);
  for (const c of children) if (isAliveNow(c.pid)) signalGroup(c.pid, 'SIGKILL');
}

// A child that died but was not reaped yet (the event loop is not running) is a zombie:
// kill(pid, 0) still succeeds, so /proc tells the difference where it exists.
function isAliveNow(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}

const signalHandlers = new Map<NodeJS.Signals, () => void>();

function installParentHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', onParentExit);
  for (const signal of PARENT_SIGNALS) {
    const handler = (): void => onParentSignal(signal);
    signalHandlers.set(signal, handler);
    process.on(signal, handler);
  }
}

// Hooks live only while children do, so a parent without children keeps default signal behaviour.
function removeParentHooks(): void {
  if (!hooksInstalled) return;
  hooksInstalled = false;
  process.off('exit', onParentExit);
  for (const [signal, handler] of signalHandlers) process.off(signal, handler);
  signalHandlers.clear();
}
