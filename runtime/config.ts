/**
 * Configuration, parsed once at boot from the environment. Every knob has a documented default
 * so `npm start` works with nothing set; README's configuration table mirrors this file.
 */
import path from 'node:path';
import { z } from 'zod';

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
  .transform((v) => (v ?? '').split(',').map((o) => o.trim()).filter(Boolean))
  .refine((list) => list.every(isOrigin), 'each entry must be an exact origin such as https://app.example.com (no path, no trailing slash, no *)');

const EnvSchema = z.object({
  PORT: int(8080),
  HOST: z.string().default('127.0.0.1'),
  DATA_DIR: z.string().default('./.data'),
  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_UI_URL: optionalString,
  EMBEDDINGS_BASE_URL: optionalString,
  EMBEDDINGS_MODEL: optionalString,
  EMBEDDINGS_API_KEY: optionalString,
  EMBEDDINGS_DIMENSIONS: z.coerce.number().int().positive().optional(),
  OPENAI_API_KEY: optionalString,
  QDRANT_URL: optionalString,
  QDRANT_API_KEY: optionalString,
  DATABASE_URL: optionalString,
  INDEX_TASK_QUEUE: z.string().default('docflow-index'),
  PARSE_TASK_QUEUE: z.string().default('docflow-parse'),
  PARSE_CONCURRENCY: int(2),
  PARSE_MEMORY_MB: int(1024),
  PARSE_TIMEOUT_MS: int(120_000),
  INDEX_CONCURRENCY: int(16),
  CHUNK_MAX_TOKENS: int(300),
  CHUNK_OVERLAP_TOKENS: z.coerce.number().int().min(0).default(40),
  MAX_FILE_BYTES: int(100 * 1024 * 1024),
  MAX_REQUEST_BYTES: int(500 * 1024 * 1024),
  MAX_FILES_PER_BATCH: int(200),
  MAX_TEXT_FILE_BYTES: int(10 * 1024 * 1024),
  SESSION_SECRET: optionalString.refine((v) => v === undefined || Buffer.byteLength(v, 'utf8') >= 32, 'must be at least 32 bytes'),
  // Browsers refuse cookies that live longer than 400 days.
  SESSION_TTL_SECONDS: int(12 * 60 * 60).pipe(z.number().max(400 * 24 * 60 * 60)),
  COOKIE_SECURE: bool(false),
  CORS_ORIGINS: origins,
  RATE_LIMIT_PER_MINUTE: int(600),
  RATE_LIMIT_BURST: int(100),
  CONTENT_SECURITY_POLICY: optionalString,
});

export interface AppConfig {
  port: number;
  host: string;
  dataDir: string;
  temporal: { address: string | undefined; namespace: string; uiUrl: string; queues: { index: string; parse: string } };
  embeddings: {
    /** undefined means: start the bundled local server. */
    baseURL: string | undefined;
    apiKey: string | undefined;
    model: string;
    dimensions: number | undefined;
  };
  qdrant: { url: string; apiKey: string | undefined } | undefined;
  databaseUrl: string | undefined;
  parse: { concurrency: number; memoryMb: number; timeoutMs: number };
  indexConcurrency: number;
  chunking: { maxTokens: number; overlapTokens: number };
  limits: { maxFileBytes: number; maxRequestBytes: number; maxFilesPerBatch: number; maxTextFileBytes: number };
  /** Browser sessions; without a secret the API keeps one in DATA_DIR/session-secret. */
  sessions: { secret: string | undefined; ttlSeconds: number; cookieSecure: boolean };
  /** Requests per API key per API replica. */
  rateLimit: { perMinute: number; burst: number };
  /** Exact origins allowed cross-origin; empty keeps CORS closed. */
  corsOrigins: string[];
  /** Replaces the default Content-Security-Policy when set. */
  contentSecurityPolicy: string | undefined;
}

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
    },
    embeddings: {
      baseURL: useOpenAi ? 'https://api.openai.com/v1' : e.EMBEDDINGS_BASE_URL,
      apiKey: e.EMBEDDINGS_API_KEY ?? e.OPENAI_API_KEY,
      model: e.EMBEDDINGS_MODEL ?? (useOpenAi ? OPENAI_DEFAULT_MODEL : LOCAL_EMBEDDINGS_MODEL),
      dimensions: e.EMBEDDINGS_DIMENSIONS,
    },
    qdrant: e.QDRANT_URL ? { url: e.QDRANT_URL, apiKey: e.QDRANT_API_KEY } : undefined,
    databaseUrl: e.DATABASE_URL,
    parse: { concurrency: e.PARSE_CONCURRENCY, memoryMb: e.PARSE_MEMORY_MB, timeoutMs: e.PARSE_TIMEOUT_MS },
    indexConcurrency: e.INDEX_CONCURRENCY,
    chunking: { maxTokens: e.CHUNK_MAX_TOKENS, overlapTokens: e.CHUNK_OVERLAP_TOKENS },
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
  };
}
