/**
 * Keeps one service of `npm start` alive: when it dies on its own (a SIGKILL, a crash, an
 * out-of-memory kill), it is started again after a backoff, and each restart is one log line.
 * Durable state lives in the Temporal SQLite file, the catalog and the data dir, so a restarted
 * process picks up where the old one stopped and a running batch finishes.
 */
import { delay } from './process.js';

/** A started service: how it ends, and how to stop it on purpose. */
export interface RunningService {
  /** Resolves when the process has ended, however it ended; never rejects. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

/** How quickly restarts follow each other. */
export interface RestartPolicy {
  /** Wait before the first restart. */
  initialDelayMs: number;
  /** Upper bound of the doubling wait. */
  maxDelayMs: number;
  /** A run that lasted this long counts as healthy: the next failure starts from initialDelayMs again. */
  healthyAfterMs: number;
}

/** Defaults for `npm start`: quick first retry, at most half a minute between attempts. */
export const DEFAULT_RESTART_POLICY: RestartPolicy = { initialDelayMs: 1_000, maxDelayMs: 30_000, healthyAfterMs: 60_000 };

/** The wait before restart number `consecutiveFailures` (1 for the first): doubling, capped. */
export function restartDelayMs(consecutiveFailures: number, policy: RestartPolicy): number {
  const exponent = Math.max(0, consecutiveFailures - 1);
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(exponent, 30));
}

/** One structured event per start, exit or restart, so the caller writes it as a JSON line. */
export interface ServiceEvent {
  service: string;
  event: 'exited' | 'restarting' | 'restarted' | 'start_failed';
  /** How the process ended, for `exited`. */
  exit?: string;
  /** The wait before the next start, for `restarting`. */
  delayMs?: number;
  restarts: number;
  error?: string;
}

/** Options of {@link keepRunning}. */
export interface KeepRunningOptions {
  name: string;
  /** Starts the service and resolves once it is ready (or running). */
  start: () => Promise<RunningService>;
  onEvent: (event: ServiceEvent) => void;
  policy?: RestartPolicy;
  /** Injected for tests. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** A kept-alive service; `stop` ends the restart loop and the current process. */
export interface KeptService {
  readonly name: string;
  /** Restarts so far. */
  readonly restarts: number;
  /** Stops restarting (synchronously) without stopping the process: the first step of a shutdown. */
  halt(): void;
  stop(): Promise<void>;
}

/**
 * Starts the service (the first start's failure is the caller's: it rejects), then restarts it
 * with backoff every time it exits without `stop` having been called.
 */
export async function keepRunning(options: KeepRunningOptions): Promise<KeptService> {
  const policy = options.policy ?? DEFAULT_RESTART_POLICY;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? delay;
  let current: RunningService | undefined = await options.start();
  let stopping = false;
  let restarts = 0;
  let wake: (() => void) | undefined;

  const loop = (async () => {
    let failures = 0;
    let startedAt = now();
    while (!stopping && current) {
      const exit = await current.exited;
      if (stopping) return;
      options.onEvent({ service: options.name, event: 'exited', exit: String(exit.signal ?? exit.code), restarts });
      current = undefined;
      failures = now() - startedAt >= policy.healthyAfterMs ? 1 : failures + 1;
      while (!stopping && !current) {
        const delayMs = restartDelayMs(failures, policy);
        options.onEvent({ service: options.name, event: 'restarting', delayMs, restarts });
        await Promise.race([sleep(delayMs), new Promise<void>((resolve) => (wake = resolve))]);
        if (stopping) return;
        try {
          current = await options.start();
          restarts += 1;
          startedAt = now();
          options.onEvent({ service: options.name, event: 'restarted', restarts });
          if (stopping) await current.stop();
        } catch (err) {
          failures += 1;
          options.onEvent({ service: options.name, event: 'start_failed', restarts, error: err instanceof Error ? err.message : String(err) });
        }
      }
    }
  })();

  return {
    name: options.name,
    get restarts() {
      return restarts;
    },
    halt() {
      stopping = true;
      wake?.();
    },
    async stop() {
      stopping = true;
      wake?.();
      const service = current;
      current = undefined;
      if (service) await service.stop();
      await loop;
    },
  };
}
