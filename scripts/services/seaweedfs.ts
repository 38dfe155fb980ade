/**
 * A real S3-compatible object store for the tests and for trying the multi-host setup on one
 * machine: SeaweedFS (`weed server` with its S3 gateway), built from the Go module proxy by
 * build-seaweedfs.sh and started on loopback with free ports and fresh credentials.
 *
 * `npm run seaweedfs` starts one, creates a bucket and prints the S3_* settings to use.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import { createS3Client, type S3Settings } from '../../adapters/s3-client.js';
import { findFreePorts, isPortOpen } from './ports.js';
import { delay, readLogTail, spawnSupervised, type ExitInfo, type Log } from './process.js';
import { REPO_ROOT, runCommand } from './python-tools.js';

/** Builds `weed` on first use (about 8 minutes on 2 cores) and returns its path; later calls take milliseconds. */
export async function ensureSeaweedfs(options: { log?: Log; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const log = options.log ?? (() => {});
  const script = path.join(REPO_ROOT, 'scripts', 'services', 'build-seaweedfs.sh');
  const started = Date.now();
  // The script answers at once when the binary exists; say so only when it is really building.
  const notice = setTimeout(() => log('building SeaweedFS from the Go module proxy (first run only, about 8 minutes)...'), 2_000);
  const result = await runCommand('bash', [script], options.env ?? process.env).finally(() => clearTimeout(notice));
  const lines = result.output.trim().split('\n');
  const weed = lines.at(-1) ?? '';
  if (result.code !== 0 || !weed.endsWith('/weed') || !fs.existsSync(weed)) {
    throw new Error(`building SeaweedFS failed (${script}):\n${lines.slice(-20).join('\n')}`);
  }
  if (Date.now() - started > 5_000) log(`SeaweedFS ready at ${weed}`);
  return weed;
}

/** A pair of S3 credentials. */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** A running SeaweedFS with two identities: `app` (read, write, list; no bucket admin) and `admin`. */
export interface SeaweedfsServer {
  /** The S3 endpoint, e.g. http://127.0.0.1:41234. */
  endpoint: string;
  /** What docflow itself gets: it may not create buckets, as in production. */
  app: S3Credentials;
  /** May create and delete buckets (tests, the compose one-shot's role). */
  admin: S3Credentials;
  pid: number;
  logFile: string;
  exited: Promise<ExitInfo>;
  stop(): Promise<void>;
}

/** Options of {@link startSeaweedfs}. */
export interface StartSeaweedfsOptions {
  weedBin: string;
  /** Holds the volumes, the filer's metadata, the identities file and `seaweedfs.log`. */
  dataDir: string;
  log?: Log;
  readyTimeoutMs?: number;
}

const HOST = '127.0.0.1';
const DEFAULT_READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 10_000;

/**
 * Starts `weed server` (master, volume, filer and S3 gateway in one process) on loopback, every
 * port a free one (nothing on SeaweedFS's defaults, so several can run side by side), and
 * resolves once the S3 gateway answers authenticated requests.
 */
export async function startSeaweedfs(options: StartSeaweedfsOptions): Promise<SeaweedfsServer> {
  const log = options.log ?? (() => {});
  const dataDir = path.resolve(options.dataDir);
  const volumesDir = path.join(dataDir, 'volumes');
  const masterDir = path.join(dataDir, 'master');
  fs.mkdirSync(volumesDir, { recursive: true });
  fs.mkdirSync(masterDir, { recursive: true });
  const { ports, app, admin } = await serverIdentity(dataDir);
  const { master, masterGrpc, volume, volumeGrpc, filer, filerGrpc, s3, s3Grpc } = ports;
  const busy = await Promise.all(Object.values(ports).map((port) => isPortOpen(port)));
  if (busy.some(Boolean)) {
    throw new Error(
      `a port SeaweedFS uses for ${dataDir} is taken (is another SeaweedFS running on this data dir?): ${Object.values(ports)
        .filter((_, i) => busy[i])
        .join(', ')}`,
    );
  }
  const identitiesFile = path.join(dataDir, 's3-identities.json');
  fs.writeFileSync(identitiesFile, JSON.stringify(identities(app, admin)), { mode: 0o600 });
  const logFile = path.join(dataDir, 'seaweedfs.log');
  const child = spawnSupervised({
    name: 'seaweedfs',
    command: options.weedBin,
    args: [
      'server',
      `-dir=${volumesDir}`,
      `-ip=${HOST}`,
      `-ip.bind=${HOST}`,
      // A fixed place for the master's metadata; by default it is named after the master port,
      // so a restart on other free ports would lose it and freeze volume growth.
      `-master.dir=${masterDir}`,
      `-master.port=${master}`,
      `-master.port.grpc=${masterGrpc}`,
      // Small volumes and room for many: each bucket claims several volumes when it is created.
      '-master.volumeSizeLimitMB=256',
      '-volume.max=64',
      `-volume.port=${volume}`,
      // It would wait 10 s after its last heartbeat before stopping; nothing needs that here.
      '-volume.preStopSeconds=1',
      `-volume.port.grpc=${volumeGrpc}`,
      `-filer.port=${filer}`,
      `-filer.port.grpc=${filerGrpc}`,
      `-filer.localSocket=${path.join(dataDir, 'filer.sock')}`,
      '-s3',
      `-s3.port=${s3}`,
      `-s3.port.grpc=${s3Grpc}`,
      `-s3.localSocket=${path.join(dataDir, 's3.sock')}`,
      `-s3.config=${identitiesFile}`,
      // The gateway's other servers are not used by docflow.
      '-s3.port.iceberg=0',
      '-s3.port.lance=0',
    ],
    logFile,
  });
  const endpoint = `http://${HOST}:${s3}`;
  log(`starting SeaweedFS (S3 on ${endpoint}, log ${logFile})`);
  const started = Date.now();
  try {
    await waitUntilReady(endpoint, admin, Date.now() + (options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS), () => {
      const exit = child.exitInfo;
      if (!exit) return;
      const why = exit.error ? exit.error.message : `exit code ${exit.code ?? exit.signal}`;
      throw new Error(`SeaweedFS exited during startup (${why}); last lines of ${logFile}:\n${readLogTail(logFile)}`);
    });
  } catch (err) {
    await child.stop(STOP_TIMEOUT_MS);
    throw err;
  }
  log(`SeaweedFS ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { endpoint, app, admin, pid: child.pid, logFile, exited: child.exited, stop: () => child.stop(STOP_TIMEOUT_MS) };
}

/** Creates a bucket with the admin identity (docflow's own identity may not). */
export async function createBucket(server: Pick<SeaweedfsServer, 'endpoint' | 'admin'>, bucket: string): Promise<void> {
  const client = createS3Client(s3Settings(server.endpoint, server.admin, bucket));
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    // A restart on the same data keeps its buckets.
    if ((err as Error).name !== 'BucketAlreadyOwnedByYou' && (err as Error).name !== 'BucketAlreadyExists') throw err;
  } finally {
    client.destroy();
  }
}

/** S3Settings for docflow (or a test) talking to this server. */
export function s3Settings(endpoint: string, credentials: S3Credentials, bucket: string, prefix = ''): S3Settings {
  return { endpoint, region: 'us-east-1', bucket, forcePathStyle: true, prefix, ...credentials };
}

interface ServerIdentity {
  ports: Record<'master' | 'masterGrpc' | 'volume' | 'volumeGrpc' | 'filer' | 'filerGrpc' | 's3' | 's3Grpc', number>;
  app: S3Credentials;
  admin: S3Credentials;
}

/**
 * Ports and credentials of the server on `dataDir`: chosen (free ports, fresh secrets) the first
 * time and kept in `server.json` (0600), so a restart on the same data keeps its endpoint and
 * keys. The master also keeps its metadata per port: new ports would make it believe its state
 * was lost and refuse to grow volumes.
 */
async function serverIdentity(dataDir: string): Promise<ServerIdentity> {
  const file = path.join(dataDir, 'server.json');
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as ServerIdentity;
  // Every server has an HTTP and a gRPC port; SeaweedFS would otherwise derive gRPC as +10000.
  const [master, masterGrpc, volume, volumeGrpc, filer, filerGrpc, s3, s3Grpc] = await findFreePorts(8);
  const identity: ServerIdentity = { ports: { master, masterGrpc, volume, volumeGrpc, filer, filerGrpc, s3, s3Grpc }, app: newCredentials(), admin: newCredentials() };
  fs.writeFileSync(file, JSON.stringify(identity), { mode: 0o600 });
  return identity;
}

function newCredentials(): S3Credentials {
  return { accessKeyId: `docflow${randomBytes(6).toString('hex')}`, secretAccessKey: randomBytes(24).toString('hex') };
}

// SeaweedFS's identities file. Without one the gateway would accept anonymous requests, which
// would make the tests blind to signing and permission errors.
function identities(app: S3Credentials, admin: S3Credentials) {
  const entry = (name: string, c: S3Credentials, actions: string[]) => ({ name, credentials: [{ accessKey: c.accessKeyId, secretKey: c.secretAccessKey }], actions });
  return {
    identities: [entry('admin', admin, ['Admin', 'Read', 'Write', 'List', 'Tagging']), entry('docflow', app, ['Read', 'Write', 'List', 'Tagging'])],
  };
}

// Ready = a signed request is answered by the gateway with the filer behind it: HEAD on a
// bucket that does not exist says 404 only once the whole chain is up.
async function waitUntilReady(endpoint: string, admin: S3Credentials, deadline: number, checkAlive: () => void): Promise<void> {
  const client = createS3Client({ ...s3Settings(endpoint, admin, 'readiness-probe') });
  let last = 'no answer yet';
  try {
    while (Date.now() < deadline) {
      checkAlive();
      try {
        await client.send(new HeadBucketCommand({ Bucket: 'readiness-probe' }));
        return;
      } catch (err) {
        const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (status === 404) return;
        last = err instanceof Error ? err.message || err.name : String(err);
      }
      await delay(250);
    }
  } finally {
    client.destroy();
  }
  throw new Error(`SeaweedFS did not answer on ${endpoint} in time (last: ${last})`);
}

/** `npm run seaweedfs`: one store for trying docflow on S3 locally; prints the settings, runs until Ctrl-C. */
async function main(): Promise<void> {
  const log = (message: string) => console.error(`[seaweedfs] ${message}`);
  const dataDir = path.resolve(process.env.SEAWEEDFS_DATA_DIR ?? path.join(REPO_ROOT, '.data', 'seaweedfs'));
  const bucket = process.env.S3_BUCKET ?? 'docflow';
  const server = await startSeaweedfs({ weedBin: await ensureSeaweedfs({ log }), dataDir, log });
  await createBucket(server, bucket);
  console.log(
    [
      `S3_ENDPOINT=${server.endpoint}`,
      `S3_BUCKET=${bucket}`,
      `S3_ACCESS_KEY_ID=${server.app.accessKeyId}`,
      `S3_SECRET_ACCESS_KEY=${server.app.secretAccessKey}`,
      'S3_FORCE_PATH_STYLE=true',
    ].join('\n'),
  );
  log('running; Ctrl-C stops it (the data stays in ' + dataDir + ')');
  await server.exited;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
