/**
 * Prometheus metrics of one process (prom-client). Each process builds one registry here and
 * hands the typed sinks to the parts that report: the API (requests, uploads), the activities
 * (step durations and failures, document outcomes) and the embedder (tokens, absorbed 429s).
 * Nothing uses prom-client's global default registry, so tests can build several in one process.
 *
 * No metric has a tenant label: per-tenant series grow with the number of tenants, and a
 * scrape would list every tenant's name. Per-tenant questions are answered from the catalog
 * and from Temporal's search attributes instead.
 */
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { ActivityMetrics } from '../worker/activity-metrics.js';
import type { EmbedderMetrics } from '../adapters/openai-embedder.js';
import type { ApiMetrics } from '../api/deps.js';
import { REASON_CODES } from '../core/formats.js';

export interface MetricsOptions {
  /** Process metrics (CPU, memory, event loop, GC) under `docflow_process_…`/`docflow_nodejs_…`; default true. */
  processMetrics?: boolean;
}

export interface DocflowMetrics {
  registry: Registry;
  http: ApiMetrics;
  activities: ActivityMetrics;
  embedder: EmbedderMetrics;
  /** The text exposition of this registry. */
  render(): Promise<{ contentType: string; body: string }>;
}

/** The pipeline's activities (parse + chunk groups, embed + upsert packs); their series exist (at zero) from the start. */
const PIPELINE_STEPS = ['prepare', 'index'] as const;
/** HTTP methods kept as they are; any other verb is counted as `other`, so a client cannot mint series. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Seconds; from fast bookkeeping steps to slow parses of large PDFs. */
const STEP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Builds a registry with every docflow metric; call once per process (or per test app). */
export function createMetrics(options: MetricsOptions = {}): DocflowMetrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'docflow_' });

  const httpRequests = new Counter({
    name: 'docflow_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern (never the raw path) and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'docflow_http_request_duration_seconds',
    help: 'Time to answer an HTTP request until its handler returned (an SSE stream counts until the stream is set up).',
    labelNames: ['method', 'route'] as const,
    buckets: HTTP_BUCKETS,
    registers: [registry],
  });
  const uploadAccepted = new Counter({
    name: 'docflow_upload_files_accepted_total',
    help: 'Uploaded files accepted into a batch.',
    registers: [registry],
  });
  const uploadRejected = new Counter({
    name: 'docflow_upload_files_rejected_total',
    help: 'Uploaded files refused at upload, by reason code.',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const stepDuration = new Histogram({
    name: 'docflow_step_duration_seconds',
    help: 'Duration of one activity attempt, by step (prepare = parse and chunk a group of documents, index = embed and upsert a pack of chunks, and the bookkeeping steps), failed attempts included.',
    labelNames: ['step'] as const,
    buckets: STEP_BUCKETS,
    registers: [registry],
  });
  const stepFailures = new Counter({
    name: 'docflow_step_failures_total',
    help: 'Failures by step and reason code: failed activity attempts, and documents that failed at parse, chunk, embed or upsert inside a group (internal_error for infrastructure failures the workflow retries).',
    labelNames: ['step', 'code'] as const,
    registers: [registry],
  });
  const documentsIndexed = new Counter({
    name: 'docflow_documents_indexed_total',
    help: 'Documents that reached status indexed (counted when the outcome is recorded in the catalog).',
    registers: [registry],
  });
  const documentFailures = new Counter({
    name: 'docflow_document_failures_total',
    help: 'Documents that ended failed, by reason code.',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const embeddingTokens = new Counter({
    name: 'docflow_embedding_tokens_total',
    help: 'Tokens sent to the embeddings endpoint, as its usage field reports them (estimated when it reports none).',
    registers: [registry],
  });
  const embeddingRateLimited = new Counter({
    name: 'docflow_embedding_rate_limited_total',
    help: 'HTTP 429 answers from the embeddings endpoint that were waited out and retried.',
    registers: [registry],
  });

  // Series that exist before anything happens, so rate() and alerts see a zero, not a gap.
  for (const step of PIPELINE_STEPS) stepDuration.zero({ step });
  for (const code of REASON_CODES) documentFailures.inc({ code }, 0);
  documentsIndexed.inc(0);
  embeddingTokens.inc(0);
  embeddingRateLimited.inc(0);
  uploadAccepted.inc(0);

  return {
    registry,
    http: {
      observeRequest(method, route, status, seconds) {
        const m = KNOWN_METHODS.has(method) ? method : 'other';
        httpRequests.inc({ method: m, route, status: String(status) });
        httpDuration.observe({ method: m, route }, seconds);
      },
      countUploads(accepted, rejectedCodes) {
        if (accepted > 0) uploadAccepted.inc(accepted);
        for (const code of rejectedCodes) uploadRejected.inc({ code });
      },
      render: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
    },
    activities: {
      stepFinished(step, seconds, failureCode) {
        stepDuration.observe({ step }, seconds);
        if (failureCode !== null) stepFailures.inc({ step, code: failureCode });
      },
      stepFailed(step, code) {
        stepFailures.inc({ step, code });
      },
      documentsFinished(outcomes) {
        for (const o of outcomes) {
          if (o.status === 'indexed') documentsIndexed.inc();
          else if (o.status === 'failed') documentFailures.inc({ code: o.error?.code ?? 'internal_error' });
        }
      },
    },
    embedder: {
      tokensUsed: (tokens) => embeddingTokens.inc(tokens),
      rateLimitAbsorbed: () => embeddingRateLimited.inc(),
    },
    render: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  };
}
