import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { keepRunning, restartDelayMs, type KeptService, type RunningService, type ServiceEvent } from './keep-running.js';

const FAST = { initialDelayMs: 10, maxDelayMs: 40, healthyAfterMs: 60_000 };

/** A real child process that idles until killed. */
function startIdleProcess(pids: number[]): Promise<RunningService> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  pids.push(child.pid!);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return Promise.resolve({
    exited,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  });
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('restartDelayMs', () => {
  it('doubles from the initial delay and stops at the cap', () => {
    const policy = { initialDelayMs: 1_000, maxDelayMs: 30_000, healthyAfterMs: 60_000 };
    expect([1, 2, 3, 4, 5, 6, 7, 50].map((n) => restartDelayMs(n, policy))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });
});

describe('keepRunning', () => {
  let kept: KeptService | undefined;
  afterEach(async () => {
    await kept?.stop();
    kept = undefined;
  });

  it('restarts a process that was SIGKILLed, and says so in one event each', async () => {
    const pids: number[] = [];
    const events: ServiceEvent[] = [];
    kept = await keepRunning({ name: 'idle', start: () => startIdleProcess(pids), onEvent: (e) => events.push(e), policy: FAST });
    process.kill(pids[0], 'SIGKILL');
    await until(() => kept!.restarts === 1);
    process.kill(pids[1], 'SIGKILL');
    await until(() => kept!.restarts === 2);
    expect(pids).toHaveLength(3);
    expect(events.map((e) => e.event)).toEqual(['exited', 'restarting', 'restarted', 'exited', 'restarting', 'restarted']);
    expect(events[0].exit).toBe('SIGKILL');
    // Two failures in a row, so the second wait doubled.
    expect(events.filter((e) => e.event === 'restarting').map((e) => e.delayMs)).toEqual([10, 20]);
  });

  it('does not restart what it was asked to stop', async () => {
    const pids: number[] = [];
    const events: ServiceEvent[] = [];
    kept = await keepRunning({ name: 'idle', start: () => startIdleProcess(pids), onEvent: (e) => events.push(e), policy: FAST });
    await kept.stop();
    kept = undefined;
    await new Promise((r) => setTimeout(r, 100));
    expect(pids).toHaveLength(1);
    expect(events).toEqual([]);
  });

  it('keeps trying with backoff while a start fails, then recovers', async () => {
    const pids: number[] = [];
    const events: ServiceEvent[] = [];
    let failNext = 0;
    const start = () => (failNext-- > 0 ? Promise.reject(new Error('port still busy')) : startIdleProcess(pids));
    kept = await keepRunning({ name: 'flaky', start, onEvent: (e) => events.push(e), policy: FAST });
    failNext = 2;
    process.kill(pids[0], 'SIGKILL');
    await until(() => kept!.restarts === 1);
    expect(events.filter((e) => e.event === 'start_failed').map((e) => e.error)).toEqual(['port still busy', 'port still busy']);
    expect(events.filter((e) => e.event === 'restarting').map((e) => e.delayMs)).toEqual([10, 20, 40]);
  });
});
