import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SHUTDOWN_GRACE_MS, parseShutdownGrace, parseWorkerIdentity, watchDrain } from './drain.js';

describe('parseShutdownGrace', () => {
  it('defaults when unset or empty', () => {
    expect(parseShutdownGrace(undefined)).toBe(DEFAULT_SHUTDOWN_GRACE_MS);
    expect(parseShutdownGrace('  ')).toBe(DEFAULT_SHUTDOWN_GRACE_MS);
  });

  it('reads seconds by default and ms, s or m suffixes', () => {
    expect(parseShutdownGrace('45')).toBe(45_000);
    expect(parseShutdownGrace('20s')).toBe(20_000);
    expect(parseShutdownGrace('1500ms')).toBe(1_500);
    expect(parseShutdownGrace('2m')).toBe(120_000);
    expect(parseShutdownGrace('0')).toBe(0);
  });

  it('refuses anything else with a message naming the variable', () => {
    for (const bad of ['-5', '1.5s', '30 seconds', 'soon', '5h']) {
      expect(() => parseShutdownGrace(bad), bad).toThrow(/WORKER_SHUTDOWN_GRACE must be a duration/);
    }
    expect(() => parseShutdownGrace('11m')).toThrow(/at most 10 minutes/);
  });
});

describe('parseWorkerIdentity', () => {
  it('falls back when unset and trims a given name', () => {
    expect(parseWorkerIdentity(undefined, 'all@host:1')).toBe('all@host:1');
    expect(parseWorkerIdentity(' docflow-worker-a@host ', 'x')).toBe('docflow-worker-a@host');
  });

  it('refuses spaces, control characters and very long names', () => {
    expect(() => parseWorkerIdentity('two words', 'x')).toThrow(/printable ASCII/);
    expect(() => parseWorkerIdentity('evil\nline', 'x')).toThrow(/printable ASCII/);
    expect(() => parseWorkerIdentity('a'.repeat(201), 'x')).toThrow(/1-200/);
  });
});

describe('watchDrain', () => {
  const setup = () => {
    const signals = new EventEmitter();
    let inFlight = 3;
    let clock = 1_000;
    const lines: Record<string, unknown>[] = [];
    const worker = { getStatus: () => ({ numInFlightActivities: inFlight }) } as never;
    const watch = watchDrain({
      workers: [worker, worker],
      signals: ['SIGTERM', 'SIGINT'],
      graceMs: 30_000,
      log: (msg, fields) => lines.push({ msg, ...fields }),
      signalSource: signals,
      now: () => clock,
    });
    return {
      signals,
      lines,
      watch,
      setInFlight: (n: number) => (inFlight = n),
      advance: (ms: number) => (clock += ms),
    };
  };

  it('logs the start of a drain with the activities in flight, and its end', () => {
    const t = setup();
    t.signals.emit('SIGTERM', 'SIGTERM');
    expect(t.lines).toEqual([{ msg: 'worker draining', signal: 'SIGTERM', inFlightActivities: 6, graceMs: 30_000 }]);
    t.setInFlight(0);
    t.advance(2_500);
    t.watch.finished();
    expect(t.lines[1]).toEqual({ msg: 'worker drained', signal: 'SIGTERM', inFlightActivitiesAtSignal: 6, inFlightActivities: 0, drainMs: 2_500 });
  });

  it('stops listening after the first signal, so a second one gets the default behaviour', () => {
    const t = setup();
    t.signals.emit('SIGINT', 'SIGINT');
    expect(t.signals.listenerCount('SIGINT')).toBe(0);
    expect(t.signals.listenerCount('SIGTERM')).toBe(0);
    t.signals.emit('SIGTERM', 'SIGTERM');
    expect(t.lines).toHaveLength(1);
  });

  it('logs nothing for a stop without a signal and releases its listeners', () => {
    const t = setup();
    t.watch.finished();
    expect(t.lines).toEqual([]);
    expect(t.signals.listenerCount('SIGTERM')).toBe(0);
  });
});
