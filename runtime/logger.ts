/**
 * Process loggers: the JSON logger of core/logger.ts configured from LOG_LEVEL, and an adapter
 * that routes the Temporal SDK's own log lines (worker state, activity and workflow context
 * loggers) through it, so a worker writes one format only.
 */
import type { LogLevel as TemporalLogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import { createJsonLogger, type LogLevel, type Logger } from '../core/logger.js';

/** The logger of one process; `service` (api, worker) is on every line. */
export function createProcessLogger(level: LogLevel, service: string, write?: (line: string) => void): Logger {
  return createJsonLogger({ level, fields: { service }, ...(write ? { write } : {}) });
}

const TEMPORAL_ORDER: readonly TemporalLogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/**
 * A Temporal `Logger` writing through `logger`. The SDK reports every worker state change at
 * INFO, which drowns the application's own lines, so by default only WARN and above pass.
 */
export function temporalRuntimeLogger(logger: Logger, minimum: TemporalLogLevel = 'WARN'): TemporalLogger {
  const floor = TEMPORAL_ORDER.indexOf(minimum);
  const sdk = logger.child({ source: 'temporal-sdk' });
  const log = (level: TemporalLogLevel, message: string, meta?: LogMetadata) => {
    if (TEMPORAL_ORDER.indexOf(level) < floor) return;
    const fields = meta ? Object.fromEntries(Object.entries(meta)) : undefined;
    if (level === 'ERROR') sdk.error(message, fields);
    else if (level === 'WARN') sdk.warn(message, fields);
    else if (level === 'INFO') sdk.info(message, fields);
    else sdk.debug(message, fields);
  };
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}

/**
 * Node prints process warnings (deprecations, listener leaks, a library's notices about Node
 * versions) to stderr as plain text, which breaks a log of JSON lines; this takes them over and
 * writes each as a `warn` line instead.
 */
export function logProcessWarnings(logger: Logger, proc: Pick<NodeJS.Process, 'removeAllListeners' | 'on'> = process): void {
  proc.removeAllListeners('warning');
  proc.on('warning', (warning: Error) => logger.warn('process warning', { warning: warning.name, detail: warning.message }));
}
