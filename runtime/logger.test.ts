import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { EventEmitter } from 'node:events';
import { createProcessLogger, logProcessWarnings, temporalRuntimeLogger } from './logger.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = createProcessLogger('debug', 'worker', (l) => lines.push(JSON.parse(l)));
  return { logger, lines };
}

describe('Temporal SDK logs through the JSON logger', () => {
  it('passes WARN and ERROR by default, marked as the SDK, with its metadata', () => {
    const { logger, lines } = capture();
    const sdk = temporalRuntimeLogger(logger);
    sdk.info('Worker state changed', { state: 'RUNNING' });
    sdk.debug('polling');
    sdk.warn('Activity failed', { activityType: 'parseDocument', attempt: 2 });
    sdk.log('ERROR', 'Worker failed', { taskQueue: 'q' });
    expect(lines).toEqual([
      expect.objectContaining({ level: 'warn', msg: 'Activity failed', service: 'worker', source: 'temporal-sdk', activityType: 'parseDocument', attempt: 2 }),
      expect.objectContaining({ level: 'error', msg: 'Worker failed', taskQueue: 'q' }),
    ]);
  });

  it('lets a lower floor through when asked (WORKER_LOG_LEVEL=INFO)', () => {
    const { logger, lines } = capture();
    const sdk = temporalRuntimeLogger(logger, 'INFO');
    sdk.info('Worker state changed');
    sdk.trace('noise');
    expect(lines.map((l) => l.msg)).toEqual(['Worker state changed']);
  });
});

describe('logging and metrics configuration', () => {
  it('defaults to info logs, no metrics token and no worker endpoint', () => {
    const config = loadConfig({});
    expect(config.logLevel).toBe('info');
    expect(config.metrics).toEqual({ token: undefined, workerPort: undefined, workerHost: '127.0.0.1' });
  });

  it('reads LOG_LEVEL, METRICS_TOKEN and the worker endpoint; an empty port stays off', () => {
    const config = loadConfig({ LOG_LEVEL: 'WARN', METRICS_TOKEN: 'x'.repeat(16), WORKER_METRICS_PORT: '9464', WORKER_METRICS_HOST: '0.0.0.0' });
    expect(config.logLevel).toBe('warn');
    expect(config.metrics).toEqual({ token: 'x'.repeat(16), workerPort: 9464, workerHost: '0.0.0.0' });
    expect(loadConfig({ WORKER_METRICS_PORT: '' }).metrics.workerPort).toBeUndefined();
    expect(loadConfig({ WORKER_METRICS_PORT: '0' }).metrics.workerPort).toBe(0);
  });

  it('refuses a short token, a bad port and an unknown level, naming the variable', () => {
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN: must be at least 16 characters/);
    expect(() => loadConfig({ WORKER_METRICS_PORT: '70000' })).toThrow(/WORKER_METRICS_PORT/);
    expect(() => loadConfig({ LOG_LEVEL: 'verbose' })).toThrow(/LOG_LEVEL/);
  });
});

describe('process warnings', () => {
  it("are written as JSON warn lines instead of Node's plain text", () => {
    const { logger, lines } = capture();
    const proc = new EventEmitter();
    let printed = 0;
    proc.on('warning', () => printed++); // stands for Node's own printer
    logProcessWarnings(logger, proc as unknown as NodeJS.Process);
    const warning = new Error('Possible EventTarget memory leak detected.');
    warning.name = 'MaxListenersExceededWarning';
    proc.emit('warning', warning);
    expect(printed).toBe(0);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'warn',
        msg: 'process warning',
        warning: 'MaxListenersExceededWarning',
        detail: 'Possible EventTarget memory leak detected.',
        service: 'worker',
      }),
    ]);
  });
});
