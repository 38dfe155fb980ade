/**
 * Graceful drain of a worker process. On SIGTERM (docker stop, a scale-down) or SIGINT the
 * Temporal SDK stops polling and lets the activities in flight run for the shutdown grace period
 * before it cancels them. A cancelled step costs its document a retry on another worker, so the
 * grace is generous (30 s by default); it must stay below the container stop timeout
 * (`stop_grace_period` in docker-compose.yml, 60 s) so that the SDK, not a SIGKILL, decides what
 * happens to a step that is still running when the grace runs out.
 *
 * The SDK does the draining itself (its Runtime listens for the signals); this module only reads
 * the settings and reports the drain, so operators can see that a stop was graceful.
 *
 * One loss the drain cannot prevent: unless the server completes a stopping worker's long polls
 * itself (dynamic config `frontend.enableCancelWorkerPollsOnShutdown`, namespace capability
 * `workerPollCompleteOnShutdown`), the SDK interrupts them, and a task the server hands to such
 * a poll at that instant never reaches the worker. The step's 30 s heartbeat timeout and the
 * workflow's retry recover it on another worker.
 */
import type { EventEmitter } from 'node:events';
import type { Worker } from '@temporalio/worker';

/** How long in-flight activities may run after a shutdown signal before they are cancelled. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 30_000;
/** Anything longer than this is almost certainly a unit mistake (ms given as seconds). */
export const MAX_SHUTDOWN_GRACE_MS = 10 * 60_000;

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000 } as const;

/**
 * Reads WORKER_SHUTDOWN_GRACE: a whole number with an optional unit, `ms`, `s` or `m`
 * (`30`, `30s`, `1500ms`, `1m`); a bare number is seconds. Unset or empty gives the default.
 */
export function parseShutdownGrace(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return DEFAULT_SHUTDOWN_GRACE_MS;
  const match = /^(\d{1,9})\s*(ms|s|m)?$/.exec(raw.trim());
  if (!match) throw new Error(`WORKER_SHUTDOWN_GRACE must be a duration such as 30s, 1500ms or 1m (got ${JSON.stringify(raw)})`);
  const ms = Number(match[1]) * UNIT_MS[(match[2] ?? 's') as keyof typeof UNIT_MS];
  if (ms > MAX_SHUTDOWN_GRACE_MS) {
    throw new Error(`WORKER_SHUTDOWN_GRACE must be at most ${MAX_SHUTDOWN_GRACE_MS / 60_000} minutes (got ${JSON.stringify(raw)})`);
  }
  return ms;
}

/**
 * The name this process gives Temporal; it is recorded on every activity the process runs, so it
 * shows in workflow histories and the Web UI. Printable ASCII without spaces, at most 200 characters.
 */
export function parseWorkerIdentity(raw: string | undefined, fallback: string): string {
  if (raw === undefined || raw.trim() === '') return fallback;
  const identity = raw.trim();
  if (identity.length > 200 || !/^[\x21-\x7e]+$/.test(identity)) {
    throw new Error(`worker identity must be 1-200 printable ASCII characters without spaces (got ${JSON.stringify(raw.slice(0, 40))}${raw.length > 40 ? '…' : ''})`);
  }
  return identity;
}

/** Same shape as the process logger's info(), so main.ts can pass it straight through. */
export type DrainLog = (msg: string, fields: Record<string, unknown>) => void;

export interface DrainWatch {
  /** Call once every worker has stopped: logs the end of the drain (or of a normal stop). */
  finished(): void;
}

/**
 * Logs one line when a shutdown signal starts the drain, with the activities in flight at that
 * moment, and one line from finished() with how long the drain took. The listeners are `once`
 * and removed together, like the SDK's own: a second signal falls through to Node's default and
 * ends the process at once, which is what an operator pressing Ctrl-C twice wants.
 */
export function watchDrain(opts: {
  workers: Pick<Worker, 'getStatus'>[];
  signals: readonly NodeJS.Signals[];
  graceMs: number;
  log: DrainLog;
  signalSource?: Pick<EventEmitter, 'once' | 'off'>;
  now?: () => number;
}): DrainWatch {
  const source = opts.signalSource ?? process;
  const now = opts.now ?? Date.now;
  let started: { signal: NodeJS.Signals; at: number; inFlightActivities: number } | undefined;
  const inFlight = () => opts.workers.reduce((sum, w) => sum + w.getStatus().numInFlightActivities, 0);
  const stopListening = () => {
    for (const signal of opts.signals) source.off(signal, onSignal);
  };
  function onSignal(signal: NodeJS.Signals): void {
    stopListening();
    started = { signal, at: now(), inFlightActivities: inFlight() };
    opts.log('worker draining', { signal, inFlightActivities: started.inFlightActivities, graceMs: opts.graceMs });
  }
  for (const signal of opts.signals) source.once(signal, onSignal);
  return {
    finished() {
      stopListening();
      if (!started) return;
      opts.log('worker drained', {
        signal: started.signal,
        inFlightActivitiesAtSignal: started.inFlightActivities,
        // Non-zero only if the grace ran out and the SDK had to abandon activities.
        inFlightActivities: inFlight(),
        drainMs: now() - started.at,
      });
    },
  };
}
