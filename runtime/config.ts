/**
 * Configuration, parsed once at boot from the environment. Every knob has a documented default
 * so `npm start` works with nothing set; README's configuration table mirrors this file.
 */
import path from 'node:path';
import { z } from 'zod';
import { LOG_LEVELS, type LogLevel } from '../core/logger.js';
import { HIDDEN_SHEET_POLICIES, type HiddenSheetPolicy } from '../activities/parsers/types.js';
import type { S3Settings } from '../adapters/s3-client.js';

const int = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() !== '' ? v.trim() : undefined));

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', ''])
    .optional()
    .transform((v) => (v === undefined || v === '' ? fallback : v === 'true' || v === '1'));

/** A duration as Temporal reads it: a number and a unit, such as 90s, 15m, 1h or 7d. */
const temporalDuration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine((v) => /^\d+(s|m|h|d)$/.test(v.trim()), 'must be a number and a unit: s, m, h or d (e.g. 15m)');

/** An exact origin as browsers send it: scheme, host, optional port, nothing else. */
const isOrigin = (value: string) => {
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
};
const origins = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
  )
  .refine((list) => list.every(isOrigin), 'each entry must be an exact origin such as https://app.example.com (no path, no trailing slash, no *)');

/**
 * The other models a tenant may be switched to, comma-separated: `name` for a model the same
 * endpoint serves, `name@baseURL` for one another OpenAI-compatible endpoint serves (same API key).
 */
const otherModels = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean)
      .map((entry) => {
        const at = entry.indexOf('@');
        return at < 0 ? { model: entry } : { model: entry.slice(0, at).trim(), baseURL: entry.slice(at + 1).trim() };
      }),
  )
  .refine(
    (list) => list.every((m) => m.model !== '' && (m.baseURL === undefined || /^https?:\/\/[^\s]+$/.test(m.baseURL))),
    'each entry must be a model name, or name@http(s)://endpoint/v1',
  );

const EnvSchema = z.object({
  PORT: int(8080),
  HOST: z.string().default('127.0.0.1'),
  DATA_DIR: z.string().default('./.data'),
  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_UI_URL: optionalString,
  TEMPORAL_TLS: bool(false),
  TEMPORAL_TLS_CA: optionalString,
  TEMPORAL_TLS_CERT: optionalString,
  TEMPORAL_TLS_KEY: optionalString,
  TEMPORAL_TLS_SERVER_NAME: optionalString,
  TEMPORAL_API_KEY: optionalString,
  EMBEDDINGS_BASE_URL: optionalString,
  EMBEDDINGS_MODEL: optionalString,
  EMBEDDINGS_API_KEY: optionalString,
  EMBEDDINGS_DIMENSIONS: z.coerce.number().int().positive().optional(),
  EMBEDDINGS_TIMEOUT_MS: int(120_000),
  EMBEDDINGS_MODELS: otherModels,
  OPENAI_API_KEY: optionalString,
  QDRANT_URL: optionalString,
  QDRANT_API_KEY: optionalString,
  DATABASE_URL: optionalString,
  S3_ENDPOINT: optionalString.refine((v) => v === undefined || /^https?:\/\/[^/\s]+\/?$/.test(v), 'must be an http(s) URL with no path, e.g. http://seaweedfs:8333'),
  // AWS's bucket naming rules, which every S3-compatible store accepts.
  S3_BUCKET: optionalString.refine(
    (v) => v === undefined || /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(v),
    'must be a bucket name: 3-63 lowercase letters, digits, dots and hyphens',
  ),
  S3_REGION: z.string().default('us-east-1'),
  S3_ACCESS_KEY_ID: optionalString,
  S3_SECRET_ACCESS_KEY: optionalString,
  S3_FORCE_PATH_STYLE: z.enum(['true', 'false', '1', '0', '']).optional(),
  S3_PREFIX: optionalString
    .transform((v) => (v ?? '').replace(/^\/+|\/+$/g, ''))
    .refine(
      (v) => v === '' || (/^[A-Za-z0-9_.\-/]+$/.test(v) && !v.split('/').some((p) => p === '' || p === '.' || p === '..')),
      'may hold letters, digits, "_", "-", "." and "/" between non-empty segments',
    ),
  DATABASE_POOL_SIZE: int(10),
  INDEX_TASK_QUEUE: z.string().default('docflow-index'),
  PARSE_TASK_QUEUE: z.string().default('docflow-parse'),
  PARSE_CONCURRENCY: int(2),
  PARSE_MEMORY_MB: int(1024),
  PARSE_TIMEOUT_MS: int(120_000),
  MAX_PDF_PAGES: int(10_000),
  OCR_ENABLED: bool(true),
  // Tesseract language codes joined by '+': letters, digits and underscores only (they become a CLI argument).
  OCR_LANGUAGES: z
    .string()
    .default('eng+ita')
    .transform((v) => v.trim())
    .refine((v) => /^[A-Za-z0-9_]+(\+[A-Za-z0-9_]+)*$/.test(v), 'must be Tesseract language codes joined by + (e.g. eng+ita)'),
  OCR_MIN_CONFIDENCE: z.coerce.number().min(0).max(100).default(60),
  INDEX_CONCURRENCY: int(16),
  CHUNK_MAX_TOKENS: int(300),
  CHUNK_OVERLAP_TOKENS: z.coerce.number().int().min(0).default(40),
  MAX_FILE_BYTES: int(100 * 1024 * 1024),
  MAX_REQUEST_BYTES: int(500 * 1024 * 1024),
  MAX_FILES_PER_BATCH: int(200),
  MAX_TEXT_FILE_BYTES: int(10 * 1024 * 1024),
  SPREADSHEET_HIDDEN_SHEETS: z
    .string()
    .default('skip')
    .transform((v) => v.trim().toLowerCase())
    .pipe(z.enum(HIDDEN_SHEET_POLICIES)),
  SESSION_SECRET: optionalString.refine((v) => v === undefined || Buffer.byteLength(v, 'utf8') >= 32, 'must be at least 32 bytes'),
  // Browsers refuse cookies that live longer than 400 days.
  SESSION_TTL_SECONDS: int(12 * 60 * 60).pipe(z.number().max(400 * 24 * 60 * 60)),
  COOKIE_SECURE: bool(false),
  CORS_ORIGINS: origins,
  RATE_LIMIT_PER_MINUTE: int(600),
  RATE_LIMIT_BURST: int(100),
  CONTENT_SECURITY_POLICY: optionalString,
  // A guessable scrape token would expose the deployment's activity; ask for a real secret.
  METRICS_TOKEN: optionalString.refine((v) => v === undefined || v.length >= 16, 'must be at least 16 characters'),
  // Empty means unset (off), not port 0, so `WORKER_METRICS_PORT=` in a compose file stays off.
  WORKER_METRICS_PORT: z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), z.coerce.number().int().min(0).max(65535).optional()),
  WORKER_METRICS_HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: z
    .string()
    .default('info')
    .transform((v) => v.trim().toLowerCase())
    .pipe(z.enum(LOG_LEVELS)),
  UI_DIR: optionalString,
  SCHEDULES: bool(true),
  DEMO_TENANT: bool(true),
  SCHEDULE_ID_PREFIX: z.string().default('docflow-'),
  RECONCILE_EVERY: temporalDuration('1h'),
  RETENTION_EVERY: temporalDuration('24h'),
  ARTIFACT_RETENTION_DAYS: z.coerce.number().min(0).default(7),
  // Unset keeps uploads forever: a removed upload can no longer be retried or re-parsed.
  UPLOAD_RETENTION_DAYS: z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), z.coerce.number().min(0).optional()),
});

export interface AppConfig {
  port: number;
  host: string;
  dataDir: string;
  temporal: {
    address: string | undefined;
    namespace: string;
    uiUrl: string;
    queues: { index: string; parse: string };
    /** TLS to the frontend: undefined = plain gRPC; file paths are read at connect time. */
    tls: { caFile?: string; certFile?: string; keyFile?: string; serverName?: string } | undefined;
    /** Sent as a bearer token on every call (e.g. Temporal Cloud); never logged. */
    apiKey: string | undefined;
  };
  embeddings: {
    /** undefined means: start the bundled local server. */
    baseURL: string | undefined;
    apiKey: string | undefined;
    model: string;
    dimensions: number | undefined;
    /** Per-request timeout: a request that hangs longer is abandoned and retried. */
    timeoutMs: number;
    /** Models a tenant may switch to besides `model`; without baseURL the same endpoint serves them. */
    others: { model: string; baseURL?: string }[];
  };
  qdrant: { url: string; apiKey: string | undefined } | undefined;
  /**
   * Uploads and artifacts in an S3-compatible object store (S3_BUCKET set), so the API and the
   * worker pools share no disk; undefined keeps them in DATA_DIR/files. Holds secrets: never logged.
   */
  s3: S3Settings | undefined;
  /** PostgreSQL catalog (never logged: it holds a password); unset means SQLite in dataDir. */
  databaseUrl: string | undefined;
  /** Connections each process keeps to the PostgreSQL catalog. */
  databasePoolSize: number;
  parse: {
    concurrency: number;
    memoryMb: number;
    timeoutMs: number;
    /** PDFs (and multi-page TIFFs) with more pages fail with too_many_pages. */
    maxPdfPages: number;
    /** Tesseract for pages without a text layer and for image uploads. */
    ocr: { enabled: boolean; languages: string; minConfidence: number };
  };
  indexConcurrency: number;
  chunking: { maxTokens: number; overlapTokens: number };
  /** Hidden sheets of spreadsheets: skipped, or indexed with a marker on the sheet name. */
  spreadsheets: { hiddenSheets: HiddenSheetPolicy };
  limits: { maxFileBytes: number; maxRequestBytes: number; maxFilesPerBatch: number; maxTextFileBytes: number };
  /** Browser sessions; without a secret the API keeps one in DATA_DIR/session-secret. */
  sessions: { secret: string | undefined; ttlSeconds: number; cookieSecure: boolean };
  /** Requests per API key per API replica. */
  rateLimit: { perMinute: number; burst: number };
  /** Exact origins allowed cross-origin; empty keeps CORS closed. */
  corsOrigins: string[];
  /** Replaces the default Content-Security-Policy when set. */
  contentSecurityPolicy: string | undefined;
  /**
   * Prometheus endpoints: `token` guards `/metrics` on the API and the worker (unset: disabled);
   * the worker serves its own on `workerPort` (unset: off; 0: a free port, printed at start).
   */
  metrics: { token: string | undefined; workerPort: number | undefined; workerHost: string };
  /** Lowest level written by the JSON loggers. */
  logLevel: LogLevel;
  /** Create the `demo` tenant and a key in DATA_DIR/dev-api-key at start (turn off on shared machines). */
  demoTenant: boolean;
  /** Temporal Schedules created by index workers at start, and what the scheduled runs keep. */
  maintenance: {
    schedules: boolean;
    scheduleIdPrefix: string;
    reconcileEvery: string;
    retentionEvery: string;
    retention: { artifactDays: number; uploadDays: number | null };
  };
  /** The built web app the API serves on its own origin (nothing is served while it is missing). */
  uiDir: string;
}

/** Where `npm run ui:build` writes the web app. */
export const DEFAULT_UI_DIR = path.resolve(import.meta.dirname, '..', 'ui', 'build');

/** The local model served by the bundled embedding server. */
export const LOCAL_EMBEDDINGS_MODEL = 'multilingual-e5-small';
/** OpenAI's model when only OPENAI_API_KEY is given. */
export const OPENAI_DEFAULT_MODEL = 'text-embedding-3-small';

/** Parses the environment; throws one readable error listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  if (Boolean(e.TEMPORAL_TLS_CERT) !== Boolean(e.TEMPORAL_TLS_KEY)) {
    throw new Error('invalid configuration: TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together (mTLS client certificate and its key)');
  }
  const s3 = s3Settings(e);
  // CopyObject, which turns a staged upload into its stored blob, copies at most 5 GiB.
  if (s3 && e.MAX_FILE_BYTES > MAX_S3_COPY_BYTES) {
    throw new Error(`invalid configuration: MAX_FILE_BYTES may be at most ${MAX_S3_COPY_BYTES} (5 GiB) with an S3 store`);
  }
  // OPENAI_API_KEY alone means OpenAI's own endpoint; a base URL means any compatible server.
  const useOpenAi = !e.EMBEDDINGS_BASE_URL && !!e.OPENAI_API_KEY;
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.DATA_DIR),
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      uiUrl: e.TEMPORAL_UI_URL ?? 'http://127.0.0.1:8233',
      queues: { index: e.INDEX_TASK_QUEUE, parse: e.PARSE_TASK_QUEUE },
      // A client certificate or an API key only make sense over TLS, so either turns it on.
      tls:
        e.TEMPORAL_TLS || e.TEMPORAL_TLS_CERT || e.TEMPORAL_TLS_CA || e.TEMPORAL_API_KEY
          ? { caFile: e.TEMPORAL_TLS_CA, certFile: e.TEMPORAL_TLS_CERT, keyFile: e.TEMPORAL_TLS_KEY, serverName: e.TEMPORAL_TLS_SERVER_NAME }
          : undefined,
      apiKey: e.TEMPORAL_API_KEY,
    },
    embeddings: {
      baseURL: useOpenAi ? 'https://api.openai.com/v1' : e.EMBEDDINGS_BASE_URL,
      apiKey: e.EMBEDDINGS_API_KEY ?? e.OPENAI_API_KEY,
      model: e.EMBEDDINGS_MODEL ?? (useOpenAi ? OPENAI_DEFAULT_MODEL : LOCAL_EMBEDDINGS_MODEL),
      dimensions: e.EMBEDDINGS_DIMENSIONS,
      timeoutMs: e.EMBEDDINGS_TIMEOUT_MS,
      others: e.EMBEDDINGS_MODELS,
    },
    qdrant: e.QDRANT_URL ? { url: e.QDRANT_URL, apiKey: e.QDRANT_API_KEY } : undefined,
    s3,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    parse: {
      concurrency: e.PARSE_CONCURRENCY,
      memoryMb: e.PARSE_MEMORY_MB,
      timeoutMs: e.PARSE_TIMEOUT_MS,
      maxPdfPages: e.MAX_PDF_PAGES,
      ocr: { enabled: e.OCR_ENABLED, languages: e.OCR_LANGUAGES, minConfidence: e.OCR_MIN_CONFIDENCE },
    },
    indexConcurrency: e.INDEX_CONCURRENCY,
    chunking: { maxTokens: e.CHUNK_MAX_TOKENS, overlapTokens: e.CHUNK_OVERLAP_TOKENS },
    spreadsheets: { hiddenSheets: e.SPREADSHEET_HIDDEN_SHEETS },
    limits: {
      maxFileBytes: e.MAX_FILE_BYTES,
      maxRequestBytes: e.MAX_REQUEST_BYTES,
      maxFilesPerBatch: e.MAX_FILES_PER_BATCH,
      maxTextFileBytes: e.MAX_TEXT_FILE_BYTES,
    },
    sessions: { secret: e.SESSION_SECRET, ttlSeconds: e.SESSION_TTL_SECONDS, cookieSecure: e.COOKIE_SECURE },
    rateLimit: { perMinute: e.RATE_LIMIT_PER_MINUTE, burst: e.RATE_LIMIT_BURST },
    corsOrigins: e.CORS_ORIGINS,
    contentSecurityPolicy: e.CONTENT_SECURITY_POLICY,
    metrics: { token: e.METRICS_TOKEN, workerPort: e.WORKER_METRICS_PORT, workerHost: e.WORKER_METRICS_HOST },
    logLevel: e.LOG_LEVEL,
    uiDir: e.UI_DIR ? path.resolve(e.UI_DIR) : DEFAULT_UI_DIR,
    demoTenant: e.DEMO_TENANT,
    maintenance: {
      schedules: e.SCHEDULES,
      scheduleIdPrefix: e.SCHEDULE_ID_PREFIX,
      reconcileEvery: e.RECONCILE_EVERY.trim(),
      retentionEvery: e.RETENTION_EVERY.trim(),
      retention: { artifactDays: e.ARTIFACT_RETENTION_DAYS, uploadDays: e.UPLOAD_RETENTION_DAYS ?? null },
    },
  };
}

const MAX_S3_COPY_BYTES = 5 * 1024 ** 3;
const S3_VARIABLES = ['S3_ENDPOINT', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', 'S3_FORCE_PATH_STYLE', 'S3_PREFIX'] as const;

/**
 * The object store settings: S3_BUCKET turns the store on. Half a configuration (an endpoint
 * without a bucket, a key id without its secret) is refused rather than silently ignored.
 */
function s3Settings(e: z.infer<typeof EnvSchema>): S3Settings | undefined {
  if (!e.S3_BUCKET) {
    const stray = S3_VARIABLES.filter((name) => e[name] !== undefined && e[name] !== '');
    if (stray.length > 0) throw new Error(`invalid configuration: ${stray.join(', ')} set without S3_BUCKET (set S3_BUCKET to store files in an object store)`);
    return undefined;
  }
  if (Boolean(e.S3_ACCESS_KEY_ID) !== Boolean(e.S3_SECRET_ACCESS_KEY)) {
    throw new Error('invalid configuration: S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together');
  }
  const pathStyle = e.S3_FORCE_PATH_STYLE;
  return {
    endpoint: e.S3_ENDPOINT?.replace(/\/$/, ''),
    region: e.S3_REGION,
    bucket: e.S3_BUCKET,
    accessKeyId: e.S3_ACCESS_KEY_ID,
    secretAccessKey: e.S3_SECRET_ACCESS_KEY,
    // Self-hosted stores (SeaweedFS, MinIO, Ceph) rarely have per-bucket DNS names.
    forcePathStyle: pathStyle === undefined || pathStyle === '' ? e.S3_ENDPOINT !== undefined : pathStyle === 'true' || pathStyle === '1',
    prefix: e.S3_PREFIX === '' ? '' : `${e.S3_PREFIX}/`,
  };
}
