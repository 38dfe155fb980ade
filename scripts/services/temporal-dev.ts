import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES, toSdkSearchAttributeType, type CliSearchAttributeType } from '../../temporal/search-attributes.js';
import { isPortOpen } from './ports.js';
import { delay, readLogTail, spawnSupervised, type ExitInfo, type Log } from './process.js';

/** Custom search attributes to make sure of, by name, with CLI type names. */
export type SearchAttributeSpec = Readonly<Record<string, CliSearchAttributeType>>;

/** Options of {@link startTemporalDevServer}. */
export interface StartTemporalDevServerOptions {
  temporalBin: string;
  /** Holds `temporal.sqlite` (state survives restarts) and `logs/temporal.log`. */
  dataDir: string;
  port?: number;
  uiPort?: number;
  namespace?: string;
  log?: Log;
  /** Defaults to docflow's own attributes from temporal/search-attributes.ts. */
  searchAttributes?: SearchAttributeSpec;
  /** Keep state in memory instead of `temporal.sqlite` (tests: faster, nothing to clean up). */
  inMemory?: boolean;
  /** How long to wait for the server and its search attributes; 2-core machines are slow. */
  readyTimeoutMs?: number;
}

/** A Temporal frontend the app can use; `stop` is a no-op when an existing server was reused. */
export interface TemporalDevServer {
  address: string;
  uiUrl: string;
  namespace: string;
  /** True when a server already listening on the port was reused instead of started. */
  reused: boolean;
  logFile?: string;
  /** How the server process ended; absent when an existing server was reused (not ours to watch). */
  exited?: Promise<ExitInfo>;
  /** The server's pid (it leads its own process group); absent when reused. */
  pid?: number;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const DEFAULT_READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
// A single attempt must be short so a slow start is retried rather than waited out on one call.
const ATTEMPT_TIMEOUT_MS = 3_000;

/**
 * Starts `temporal server start-dev` on loopback with a persistent SQLite file and docflow's
 * search attributes, and resolves once the frontend answers gRPC and the attributes are
 * visible. If a Temporal server already answers on the port, it is reused (attributes are
 * still ensured) so a second `npm start` or a developer's own server does not make this fail.
 */
export async function startTemporalDevServer(options: StartTemporalDevServerOptions): Promise<TemporalDevServer> {
  const port = options.port ?? 7233;
  const uiPort = options.uiPort ?? 8233;
  const namespace = options.namespace ?? 'default';
  const log = options.log ?? (() => {});
  const searchAttributes = options.searchAttributes ?? SEARCH_ATTRIBUTES;
  const deadline = Date.now() + (options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
  const address = `${HOST}:${port}`;
  const uiUrl = `http://${HOST}:${uiPort}`;

  if (await isPortOpen(port)) {
    const connection = await tryConnect(address, namespace);
    if (!connection) {
      throw new Error(`port ${port} is in use by something that is not a Temporal server serving namespace "${namespace}"; pick another port`);
    }
    await withSearchAttributes(connection, namespace, searchAttributes, deadline, log);
    log(`reusing the Temporal server already running at ${address} (namespace ${namespace}); it will be left running`);
    return { address, uiUrl, namespace, reused: true, stop: async () => {} };
  }
  if (await isPortOpen(uiPort)) {
    throw new Error(`Temporal UI port ${uiPort} is already in use; pass another uiPort`);
  }

  const dbFile = options.inMemory ? undefined : path.join(options.dataDir, 'temporal.sqlite');
  const logFile = path.join(options.dataDir, 'logs', 'temporal.log');
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const child = spawnSupervised({
    name: 'temporal',
    command: options.temporalBin,
    args: startDevArgs({ dbFile, port, uiPort, namespace, searchAttributes }),
    logFile,
  });
  log(`starting Temporal dev server on ${address} (UI ${uiUrl}, log ${logFile})`);
  const started = Date.now();

  try {
    const connection = await waitForConnection(address, namespace, deadline, () => {
      const exit = child.exitInfo;
      if (!exit) return;
      const why = exit.error ? exit.error.message : `exit code ${exit.code ?? exit.signal}`;
      throw new Error(`Temporal dev server exited during startup (${why}); last lines of ${logFile}:\n${readLogTail(logFile)}`);
    });
    await withSearchAttributes(connection, namespace, searchAttributes, deadline, log);
  } catch (err) {
    await child.stop(STOP_TIMEOUT_MS);
    throw err;
  }
  log(`Temporal dev server ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { address, uiUrl, namespace, reused: false, logFile, exited: child.exited, pid: child.pid, stop: () => child.stop(STOP_TIMEOUT_MS) };
}

/** Options of {@link prepareTemporal}. */
export interface PrepareTemporalOptions {
  address: string;
  namespace?: string;
  searchAttributes?: SearchAttributeSpec;
  log?: Log;
  timeoutMs?: number;
}

/**
 * Checks that a Temporal server someone else runs (TEMPORAL_ADDRESS) answers and serves the
 * namespace, and gives it docflow's search attributes, so tests and the app fail early with
 * a clear message instead of on the first workflow start.
 */
export async function prepareTemporal(options: PrepareTemporalOptions): Promise<void> {
  const namespace = options.namespace ?? 'default';
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  const connection = await waitForConnection(options.address, namespace, deadline, () => {});
  await withSearchAttributes(connection, namespace, options.searchAttributes ?? SEARCH_ATTRIBUTES, deadline, options.log ?? (() => {}));
}

async function withSearchAttributes(connection: Connection, namespace: string, wanted: SearchAttributeSpec, deadline: number, log: Log): Promise<void> {
  try {
    await ensureSearchAttributes(connection, namespace, wanted, deadline, log);
  } finally {
    await connection.close();
  }
}

/**
 * The dev server's SQLite file in write-ahead-log mode. Its default (a rollback journal) fsyncs
 * the journal and the database and deletes the journal on every commit, and blocks readers
 * meanwhile; with one history shard every workflow's writes queue behind each other, so a
 * workflow start (on the upload's request path) waited up to ~0.8 s behind the batches already
 * running. WAL with synchronous=FULL still fsyncs every commit before it returns: as durable.
 */
const SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=full'];

/**
 * The `temporal server start-dev` command line, exported so it can be checked or logged; the
 * dev server only registers `--search-attribute`s when it creates a namespace, so on an
 * existing database new attributes are added over gRPC by {@link ensureSearchAttributes}.
 */
export function startDevArgs(o: { dbFile: string | undefined; port: number; uiPort: number; namespace: string; searchAttributes: SearchAttributeSpec }): string[] {
  const args = [
    'server',
    'start-dev',
    ...(o.dbFile ? ['--db-filename', o.dbFile, ...SQLITE_PRAGMAS.flatMap((p) => ['--sqlite-pragma', p])] : []),
    '--port',
    String(o.port),
    '--ui-port',
    String(o.uiPort),
  ];
  // "default" always exists; naming it again is redundant.
  if (o.namespace !== 'default') args.push('--namespace', o.namespace);
  args.push('--ip', HOST, '--log-level', 'warn');
  // The server closes a stopping worker's open polls itself, so no task is handed to a worker
  // that is draining (without it one task can be lost and retried after its heartbeat timeout).
  args.push('--dynamic-config-value', 'frontend.enableCancelWorkerPollsOnShutdown=true');
  for (const [name, type] of Object.entries(o.searchAttributes)) args.push('--search-attribute', `${name}=${type}`);
  return args;
}

/**
 * Adds whichever of the wanted custom search attributes are missing in the namespace and
 * waits until all are listed with the right type. Exported because a reused or real cluster
 * needs the same check; an attribute that exists with another type is an error, since Temporal
 * cannot change a type in place.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string, wanted: SearchAttributeSpec, deadline: number, log: Log): Promise<void> {
  const expected = new Map(Object.entries(wanted).map(([name, type]) => [name, indexedValueType(type)]));
  let added = false;
  for (;;) {
    const listed = await connection.withDeadline(Math.min(deadline, Date.now() + ATTEMPT_TIMEOUT_MS), () => connection.operatorService.listSearchAttributes({ namespace }));
    const present = listed.customAttributes ?? {};
    const missing: Record<string, number> = {};
    for (const [name, type] of expected) {
      const actual = present[name];
      if (actual === undefined || actual === null) missing[name] = type;
      else if (actual !== type && cliTypeName(actual) !== wanted[name]) {
        throw new Error(
          `search attribute ${name} exists in namespace "${namespace}" with type ${cliTypeName(actual)}, but docflow needs ${wanted[name]}. ` +
            'Temporal cannot change its type: use a fresh data dir (delete the SQLite file) or another namespace.',
        );
      }
    }
    if (Object.keys(missing).length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`search attributes ${Object.keys(missing).join(', ')} did not appear in namespace "${namespace}" in time`);
    }
    if (!added) {
      log(`registering search attributes ${Object.keys(missing).join(', ')} in namespace ${namespace}`);
      await connection.withDeadline(Math.min(deadline, Date.now() + ATTEMPT_TIMEOUT_MS), () =>
        connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing }),
      );
      added = true;
    }
    await delay(250);
  }
}

// The operator API speaks temporal.api.enums.v1.IndexedValueType numbers. Spelled out here
// because the SDK's encoder is not reachable as a named ESM import from @temporalio/common.
const INDEXED_VALUE_TYPE: Record<CliSearchAttributeType, number> = {
  Text: 1,
  Keyword: 2,
  Int: 3,
  Double: 4,
  Bool: 5,
  Datetime: 6,
  KeywordList: 7,
};

/** The operator API's number for a search attribute type (also for servers registered by hand, e.g. the time-skipping test server). */
export function indexedValueType(type: CliSearchAttributeType): number {
  const value = INDEXED_VALUE_TYPE[type];
  if (value === undefined) throw new Error(`unknown search attribute type ${type}`);
  return value;
}

// The CLI name of a listed type, accepting enum numbers and proto enum names alike.
function cliTypeName(value: unknown): string {
  const names = Object.keys(INDEXED_VALUE_TYPE) as CliSearchAttributeType[];
  const match = names.find((name) => INDEXED_VALUE_TYPE[name] === value || `INDEXED_VALUE_TYPE_${toSdkSearchAttributeType(name)}` === value);
  return match ?? String(value);
}

// A fresh Connection per attempt: a long-lived gRPC channel backs off between reconnects
// (up to minutes), which would hide the moment the server comes up.
async function waitForConnection(address: string, namespace: string, deadline: number, checkChild: () => void): Promise<Connection> {
  let lastError: unknown;
  while (Date.now() < deadline) {
    checkChild();
    const connection = await tryConnect(address, namespace, (err) => (lastError = err));
    if (connection) return connection;
    checkChild();
    await delay(250);
  }
  throw new Error(`Temporal at ${address} did not answer within the deadline: ${String((lastError as Error)?.message ?? lastError)}`);
}

// Connected means: the frontend answers getSystemInfo and knows the namespace.
async function tryConnect(address: string, namespace: string, onError?: (err: unknown) => void): Promise<Connection | undefined> {
  const connection = Connection.lazy({ address, connectTimeout: ATTEMPT_TIMEOUT_MS });
  try {
    await connection.withDeadline(Date.now() + ATTEMPT_TIMEOUT_MS, async () => {
      await connection.workflowService.getSystemInfo({});
      await connection.workflowService.describeNamespace({ namespace });
    });
    return connection;
  } catch (err) {
    onError?.(err);
    await connection.close().catch(() => {});
    return undefined;
  }
}
