/**
 * Structured JSON logging: one object per line, `{"time","level","msg", ...fields}`. The API,
 * the activities and the worker share this one implementation, so every line a deployment
 * writes parses the same way. Pure TypeScript (no Node imports): the line sink is injected, and
 * defaults to `console.log`, which exists in every runtime.
 *
 * Fields whose names say they hold a credential or user content (API keys, cookies, CSRF tokens,
 * search query text, document text) are replaced by "[redacted]" wherever they appear, so a
 * careless call site cannot leak them; call sites still should not pass them.
 */

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** Would a line at `level` be written? Lets callers skip building costly fields. */
  enabled(level: LogLevel): boolean;
  /** A logger that adds `fields` to every line (request, tenant, batch, document ids…). */
  child(fields: LogFields): Logger;
}

export interface JsonLoggerOptions {
  /** Lines below this level are dropped (default `info`). */
  level?: LogLevel;
  /** Receives one serialized line, without the newline. */
  write?: (line: string) => void;
  now?: () => Date;
  /** Fields on every line. */
  fields?: LogFields;
}

/** Reads a level name case-insensitively; throws a clear error for anything else. */
export function parseLogLevel(value: string): LogLevel {
  const level = value.trim().toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(level)) return level as LogLevel;
  throw new Error(`unknown log level "${value}": use one of ${LOG_LEVELS.join(', ')}`);
}

const REDACTED = '[redacted]';
/**
 * Exact field names (compared lowercased, without `-` and `_`) that are never written.
 * `query` and `text` are user content (search queries, chunk text); `content` likewise.
 */
const SECRET_NAMES = new Set(['authorization', 'cookie', 'setcookie', 'apikey', 'key', 'password', 'secret', 'query', 'text', 'content', 'body', 'csrf']);
/**
 * Name endings that mark a credential: csrfToken, sessionSecret, x-api-key, dbPassword, and an
 * object store's secretAccessKey / aws_access_key_id…
 */
const SECRET_SUFFIXES = ['token', 'secret', 'password', 'apikey', 'cookie', 'accesskey', 'accesskeyid'];

/** Is a field of this name redacted? Exported for tests. */
export function isSecretField(name: string): boolean {
  const n = name.toLowerCase().replace(/[-_]/g, '');
  return SECRET_NAMES.has(n) || SECRET_SUFFIXES.some((s) => n.endsWith(s));
}

const MAX_DEPTH = 5;

/** A JSON-safe copy of `value` with secret fields redacted and errors flattened. */
function clean(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'function' || typeof value === 'symbol') return undefined;
    return value;
  }
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[truncated]';
  seen.add(value);
  try {
    if (value instanceof Error) {
      const out: LogFields = { name: value.name, message: value.message };
      if (value.stack) out.stack = value.stack;
      const cause = (value as { cause?: unknown }).cause;
      if (cause !== undefined) out.cause = clean(cause, depth + 1, seen);
      const type = (value as { type?: unknown }).type;
      if (typeof type === 'string') out.type = type;
      return out;
    }
    if (value instanceof Date) return value.toISOString();
    if (Array.isArray(value)) return value.map((v) => clean(v, depth + 1, seen));
    const out: LogFields = {};
    for (const [k, v] of Object.entries(value)) out[k] = isSecretField(k) ? REDACTED : clean(v, depth + 1, seen);
    return out;
  } finally {
    seen.delete(value);
  }
}

/** The production logger: JSON lines at or above `level`. */
export function createJsonLogger(options: JsonLoggerOptions = {}): Logger {
  const minimum = LOG_LEVELS.indexOf(options.level ?? 'info');
  const write = options.write ?? ((line: string) => console.log(line));
  const now = options.now ?? (() => new Date());

  const build = (base: LogFields): Logger => {
    const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
      if (LOG_LEVELS.indexOf(level) < minimum) return;
      const merged = clean({ ...base, ...fields }, 0, new WeakSet()) as LogFields;
      // time, level and msg come first and cannot be overwritten by a field of the same name.
      const line: LogFields = { time: now().toISOString(), level, msg };
      for (const [k, v] of Object.entries(merged)) if (!(k in line) && v !== undefined) line[k] = v;
      let text: string;
      try {
        text = JSON.stringify(line);
      } catch {
        text = JSON.stringify({ time: line.time, level, msg, logError: 'fields could not be serialized' });
      }
      write(text);
    };
    return {
      debug: (msg, fields) => emit('debug', msg, fields),
      info: (msg, fields) => emit('info', msg, fields),
      warn: (msg, fields) => emit('warn', msg, fields),
      error: (msg, fields) => emit('error', msg, fields),
      enabled: (level) => LOG_LEVELS.indexOf(level) >= minimum,
      child: (fields) => build({ ...base, ...fields }),
    };
  };
  return build(options.fields ?? {});
}
