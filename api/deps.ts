/** Everything the API needs, injected by the server entry point or by tests. */
import type { BlobStore } from '../adapters/blob-store.js';
import type { BatchRecord, Catalog } from '../adapters/catalog.js';
import type { Embedder } from '../adapters/embedder.js';
import type { VectorStore } from '../adapters/vector-store.js';
import type { TenantSpaces } from '../adapters/index-spaces.js';
import type { Logger } from '../core/logger.js';
import type { FanOutOptions } from '../workflows/definitions.js';
import type { RateLimitOptions } from './rate-limit.js';
import type { TemporalGateway } from './temporal-gateway.js';
import type { FileInspector, UploadLimits } from './uploads.js';

/** Browser session settings; see api/sessions.ts for the token format. */
export interface SessionSettings {
  /** Signing secret, at least 32 bytes; every API replica must share it. */
  secret: Uint8Array | string;
  /** Session lifetime; defaults to 12 hours. */
  ttlSeconds?: number;
  /** Mark the cookie Secure (and name it `__Host-…`) even when this server sees plain HTTP. */
  cookieSecure?: boolean;
}

/**
 * Where the API reports its metrics; runtime/metrics.ts implements it with Prometheus. Routes
 * are patterns (`/api/batches/:batchId`), never raw paths, so series stay bounded.
 */
export interface ApiMetrics {
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /** One upload: how many files were accepted, and the reason code of each refused one. */
  countUploads(accepted: number, rejectedCodes: readonly string[]): void;
  /** The Prometheus text exposition of this process. */
  render(): Promise<{ contentType: string; body: string }>;
}

/** The app's dependencies; optional fields have safe defaults so tests state only what they vary. */
export interface ApiDeps {
  catalog: Catalog;
  blobs: BlobStore;
  /** Routed by index space (adapters/index-spaces.ts): reads the tenant's active collection, deletes reach all. */
  vectors: VectorStore;
  /** The default model's embedder, for the health check. */
  embedder: Embedder;
  /** Each tenant's collections and embedding models: search embeds queries with the active one's. */
  spaces: TenantSpaces;
  temporal: TemporalGateway;
  inspectFile: FileInspector;
  limits: UploadLimits;
  /** How often the SSE route re-reads progress. */
  ssePollMs?: number;
  /** Overrides for the batch fan-out, for tests. */
  fanOut?: Partial<FanOutOptions>;
  /** Without it a random per-process secret is used: fine for tests, but sessions then die on restart. */
  sessions?: SessionSettings;
  /** Per API key (and its sessions), per replica; defaults to 600/min with a burst of 100. */
  rateLimit?: RateLimitOptions;
  /** Exact origins allowed to call the API cross-origin; empty or absent means CORS stays closed. */
  corsOrigins?: readonly string[];
  /** Replaces the default Content-Security-Policy header value. */
  contentSecurityPolicy?: string;
  /** Directory of the built web app (ui/build); served on the same origin when it holds a build. */
  uiDir?: string;
  /** Where the web app links a batch's runs: the Temporal Web UI and the namespace. */
  temporalUi?: { baseUrl: string; namespace: string };
  /** Request and upload metrics; without them nothing is measured and `/metrics` answers 404. */
  metrics?: ApiMetrics;
  /** Bearer token that `/metrics` requires; unset means `/metrics` answers 404 (disabled). */
  metricsToken?: string;
  /** Structured request and error logs; defaults to JSON lines at info on stdout. */
  logger?: Logger;
  /**
   * Settles a batch whose run ended in Temporal without recording its outcome (an operator
   * terminated it, say). The batch service calls it before cancel, retry or delete decide on a
   * `running` batch; reads never do (the reconciliation schedule settles for them). Without it
   * such a batch waits for the schedule.
   */
  settleEndedRun?: (batch: BatchRecord) => Promise<unknown>;
  /** Milliseconds since epoch, for session expiry and rate limiting; injected by tests. */
  now?: () => number;
}
