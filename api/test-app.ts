/**
 * A test harness for the API: the real app over an in-memory SQLite catalog and a temp blob
 * store, with Temporal, embedder and vector store faked. Shared by the api/*.test.ts files so
 * each test states only what it changes (clock, rate limit, CORS…).
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createFsBlobStore } from '../adapters/blob-store.js';
import { createSqliteCatalog } from '../adapters/sqlite-catalog.js';
import type { VectorStore } from '../adapters/vector-store.js';
import type { BatchChanges } from '../workflows/definitions.js';
import { hc } from 'hono/client';
import { createApp, type ApiApp } from './app.js';
import type { ApiDeps } from './deps.js';
import { generateApiKey } from './keys.js';
import { BatchAlreadyStartedError, type TemporalGateway } from './temporal-gateway.js';
import { fixedSpaces } from '../adapters/index-spaces.js';

/** A fixed secret so tests can also mint tokens of their own. */
export const TEST_SESSION_SECRET = 'test-session-secret-of-at-least-32-bytes';

/** Builds an app with tenants `alpha` and `beta`, one key each; `overrides` replace any dependency. */
export async function createTestApp(overrides: Partial<ApiDeps> = {}) {
  const catalog = createSqliteCatalog(':memory:');
  const blobs = createFsBlobStore(mkdtempSync(path.join(os.tmpdir(), 'api-')));
  const keys: Record<string, string> = {};
  for (const tenant of ['alpha', 'beta']) {
    await catalog.ensureTenant(tenant);
    const k = generateApiKey();
    await catalog.addApiKey(tenant, k.hash, k.prefix);
    keys[tenant] = k.key;
  }
  const progress = new Map<string, BatchChanges>();
  /** Every workflow start the app asked for, in order. */
  const started: Parameters<TemporalGateway['startBatch']>[0][] = [];
  const temporal: TemporalGateway = {
    async startBatch(input) {
      const workflowId = `ingest-${input.tenantId}-${input.batchId}-${input.run ?? 1}`;
      // Like the real gateway (REJECT_DUPLICATE): a run id starts once.
      if (started.some((s) => `ingest-${s.tenantId}-${s.batchId}-${s.run ?? 1}` === workflowId)) throw new BatchAlreadyStartedError(workflowId);
      started.push(input);
      return workflowId;
    },
    async batchChanges(workflowId) {
      // Workflow ids embed the batch id; tests set progress by batch id (every finished document, every time).
      for (const [batchId, p] of progress) if (workflowId.includes(batchId)) return p;
      return null;
    },
    async shardChanges() {
      return null;
    },
    async cancelBatch() {},
    async startModelSwitch() {
      return null;
    },
    async modelSwitch() {
      return null;
    },
    async cancelModelSwitch() {
      return false;
    },
    async health() {
      return { ok: true, detail: 'fake' };
    },
  };
  const vectors = {
    health: async () => ({ ok: true, detail: 'fake' }),
    search: async () => [],
    keywordSearch: async () => [],
    documentChunks: async () => [],
    deleteDocument: async () => {},
    countDocument: async () => 0,
  } as unknown as VectorStore;
  const embedder = { model: 'fake', dimensions: async () => 3, embed: async (t: string[]) => t.map(() => [1, 0, 0]), health: async () => ({ ok: true, detail: 'fake' }) };
  const deps: ApiDeps = {
    catalog,
    blobs,
    vectors,
    embedder,
    temporal,
    inspectFile: async () => 'txt',
    limits: { maxFileBytes: 1024, maxRequestBytes: 64 * 1024, maxFilesPerBatch: 3, maxTextFileBytes: 1024 },
    ssePollMs: 10,
    sessions: { secret: TEST_SESSION_SECRET },
    ...overrides,
    // Search reads through the spaces: over the vector store and embedder the test ends up with.
    spaces: overrides.spaces ?? fixedSpaces(overrides.vectors ?? vectors, overrides.embedder ?? embedder),
  };
  const app = createApp(deps);
  return { app, client: typedClient(app), catalog, keys, progress, started, deps };
}

/** A one-file multipart body. */
export function oneFileForm(name = 'a.txt', content = 'hello'): FormData {
  const form = new FormData();
  form.append('files', new Blob([content]), name);
  return form;
}

/** `name=value` of the first Set-Cookie header, ready to send back as a Cookie header. */
export function cookieFrom(res: Response): string {
  const setCookie = res.headers.get('set-cookie');
  if (!setCookie) throw new Error('no Set-Cookie header');
  return setCookie.split(';')[0];
}

/** Hono's typed client over the app in memory: requests and answers typed by the route definitions. */
export function typedClient(app: ApiApp) {
  return hc<ApiApp>('http://localhost', { fetch: ((input: RequestInfo | URL, init?: RequestInit) => app.request(input, init)) as typeof fetch });
}
