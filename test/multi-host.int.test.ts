/**
 * docflow spread over "hosts" that share no disk: the API and each worker pool run as separate
 * processes, each with a DATA_DIR of its own; the catalog is in PostgreSQL, files and artifacts
 * in SeaweedFS through the S3 API, the LanceDB tables in the same bucket; Temporal and the
 * embedding server are the real ones from the global setup. A mixed batch is indexed and found
 * through the API; a host whose workers are SIGKILLed mid-batch is replaced by another; cancel,
 * retry, delete and retention leave no object in the store that the catalog does not account for.
 * Needs TEST_DATABASE_URL (skipped without it, failing under CI, like every PostgreSQL test).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { catalogReferences, findUnaccounted } from '../activities/maintenance/store-audit.js';
import { applyRetention } from '../activities/maintenance/retention.js';
import { reconcileTenant } from '../activities/maintenance/reconcile.js';
import type { BatchView } from '../core/contracts.js';
import { loadConfig } from '../runtime/config.js';
import { openStores, type Stores } from '../runtime/stores.js';
import { createScratchDatabase, describeWithPostgres, type ScratchDatabase } from '../scripts/services/postgres-scratch.js';
import { startApiProcess, type ApiProcess } from './api-process.js';
import { testEnv } from './env.js';
import { fiveFormatBatch, makeText } from './fixtures/documents.js';
import { uploadBatch, waitForBatch } from './http.js';
import { startTestS3, type TestS3 } from './s3-server.js';
import { startWorkerProcess, type WorkerProcess } from './worker-process.js';

const HOUR = 3_600_000;

describeWithPostgres('docflow on several hosts (separate processes, no shared disk)', (adminUrl) => {
  let s3: TestS3;
  let db: ScratchDatabase;
  let api: ApiProcess;
  let apiKey: string;
  /** The test process is one more host: it reads the catalog and the store like an operator would. */
  let observer: Stores;
  let sharedEnv: NodeJS.ProcessEnv;
  const hostsRoot = path.join(testEnv().TEST_DATA_DIR, `hosts-${randomUUID().slice(0, 8)}`);
  const workers: WorkerProcess[] = [];

  /** Each host gets its own DATA_DIR; nothing under it is visible to another host. */
  const hostDir = (host: string) => {
    const dir = path.join(hostsRoot, host);
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  const startWorker = async (host: string, queue: 'parse' | 'index' | 'all') => {
    const worker = startWorkerProcess({ env: { ...sharedEnv, DATA_DIR: hostDir(host) }, args: ['--queue', queue, '--identity', `${queue}@${host}`], label: `${queue}@${host}` });
    workers.push(worker);
    await worker.waitForLog('worker started', 120_000);
    return worker;
  };
  const call = (route: string, init: RequestInit = {}) =>
    fetch(`${api.baseUrl}${route}`, { ...init, headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
  const view = async (batchId: string) => (await (await call(`/api/batches/${batchId}`)).json()) as BatchView;

  /** Waits until `minIndexed` documents are indexed while others are still in a step: the batch is really mid-way. */
  const waitUntilMidBatch = async (batchId: string, minIndexed = 2) => {
    const deadline = Date.now() + 240_000;
    for (;;) {
      const current = await view(batchId);
      const indexed = current.documents.filter((d) => d.status === 'indexed').length;
      const busy = current.documents.filter((d) => ['parsing', 'chunking', 'embedding'].includes(d.status)).length;
      if (indexed >= minIndexed && busy > 0) return;
      if (current.status !== 'running') throw new Error('the batch ended before the test could act mid-way; make it bigger');
      if (Date.now() > deadline) throw new Error('no progress');
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  /** Every upload and artifact in the store belongs to a document the catalog has; nothing is half-uploaded. */
  const expectStoreAccountedFor = async () => {
    const everything = new Date(Date.now() + HOUR); // judge every object, however recent
    const unaccounted = await findUnaccounted(observer.blobs, await catalogReferences(observer.catalog), everything);
    expect(unaccounted).toEqual({ blobKeys: [], artifactPrefixes: [] });
    const settings = sharedSettings();
    expect(await s3.keys(settings, 'staging/')).toEqual([]);
    expect(await s3.multipartUploads(settings)).toBe(0);
    // Object-store keys under the prefix are docflow's three areas and LanceDB's tables, nothing else.
    for (const key of await s3.keys(settings)) expect(key).toMatch(/^multihost\/(blobs|artifacts|vectors)\//);
  };
  const sharedSettings = () => ({
    endpoint: sharedEnv.S3_ENDPOINT!,
    region: 'us-east-1',
    bucket: sharedEnv.S3_BUCKET!,
    accessKeyId: sharedEnv.S3_ACCESS_KEY_ID,
    secretAccessKey: sharedEnv.S3_SECRET_ACCESS_KEY,
    forcePathStyle: true,
    prefix: 'multihost/',
  });

  beforeAll(async () => {
    const env = testEnv();
    s3 = await startTestS3('multi-host');
    const bucket = await s3.newBucket();
    db = await createScratchDatabase(adminUrl);
    const suffix = randomUUID().slice(0, 8);
    sharedEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: env.TEMPORAL_ADDRESS,
      TEMPORAL_NAMESPACE: env.TEMPORAL_NAMESPACE,
      EMBEDDINGS_BASE_URL: env.EMBEDDINGS_BASE_URL,
      EMBEDDINGS_MODEL: env.EMBEDDINGS_MODEL,
      INDEX_TASK_QUEUE: `multihost-index-${suffix}`,
      PARSE_TASK_QUEUE: `multihost-parse-${suffix}`,
      DATABASE_URL: db.url,
      DATABASE_POOL_SIZE: '3',
      S3_ENDPOINT: bucket.endpoint,
      S3_BUCKET: bucket.bucket,
      S3_ACCESS_KEY_ID: bucket.accessKeyId,
      S3_SECRET_ACCESS_KEY: bucket.secretAccessKey,
      S3_PREFIX: 'multihost',
      CHUNK_MAX_TOKENS: '120',
      CHUNK_OVERLAP_TOKENS: '20',
      PARSE_CONCURRENCY: '2',
      INDEX_CONCURRENCY: '4',
      SCHEDULES: 'false',
      WORKER_SHUTDOWN_GRACE: '2s',
    };
    api = await startApiProcess({ ...sharedEnv, DATA_DIR: hostDir('api-host'), DEMO_TENANT: 'true' }, { readyTimeoutMs: 120_000 });
    apiKey = readFileSync(path.join(hostDir('api-host'), 'dev-api-key'), 'utf8').trim();
    observer = await openStores(loadConfig({ ...sharedEnv, DATA_DIR: hostDir('operator-host') }));
  });
  afterAll(async () => {
    for (const worker of workers) worker.signal('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await api?.stop();
    await observer?.close();
    await db?.drop();
    await s3?.stop();
  });

  it('indexes a mixed batch with the pools on separate hosts, and the API host finds it', async () => {
    await startWorker('parse-host-1', 'parse');
    await startWorker('index-host-1', 'index');
    const files = fiveFormatBatch();
    const upload = await uploadBatch(api.baseUrl, apiKey, files);
    expect(upload.status).toBe(202);
    const done = await waitForBatch(api.baseUrl, apiKey, upload.body.batchId, 240_000);
    expect(done.status).toBe('completed');
    for (const doc of done.documents) expect(doc.status, `${doc.filename}: ${JSON.stringify(doc.error)}`).toBe('indexed');

    // The index host wrote the vectors; the API host, which shares no disk with it, searches them.
    const search = await call('/api/search', { method: 'POST', body: JSON.stringify({ query: 'who records the ships passing by the lighthouse?', limit: 3 }) });
    const { results } = (await search.json()) as { results: { filename: string }[] };
    expect(results[0].filename).toBe('notes.docx');

    // No host kept a file store of its own; the parse copies and upload scratch files are gone.
    for (const host of ['api-host', 'parse-host-1', 'index-host-1']) {
      expect(existsSync(path.join(hostsRoot, host, 'files')), `${host}/files`).toBe(false);
      const scratch = path.join(hostsRoot, host, 'tmp');
      const left = existsSync(scratch)
        ? readdirSync(scratch, { recursive: true, withFileTypes: true })
            .filter((e) => e.isFile())
            .map((e) => e.name)
        : [];
      expect(left, `${host}/tmp`).toEqual([]);
    }
    await expectStoreAccountedFor();
  });

  it('replaces a host whose workers are SIGKILLed mid-batch with one on another host', async () => {
    const files = Array.from({ length: 16 }, (_, i) => ({
      name: `doc-${i}.txt`,
      bytes: makeText(Array.from({ length: 10 }, (_, p) => `Document ${i} paragraph ${p} about subject ${i * 10 + p}. ${'steady words keep coming '.repeat(20)}`).join('\n\n')),
    }));
    const upload = await uploadBatch(api.baseUrl, apiKey, files);
    expect(upload.status).toBe(202);
    const batchId: string = upload.body.batchId;
    await waitUntilMidBatch(batchId);
    // The whole first generation of worker hosts dies at once.
    for (const worker of workers) worker.signal('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await startWorker('worker-host-2', 'all');

    const done = await waitForBatch(api.baseUrl, apiKey, batchId, 300_000);
    expect(done.status).toBe('completed');
    for (const doc of done.documents) {
      expect(doc.status, `${doc.filename}: ${JSON.stringify(doc.error)}`).toBe('indexed');
      const ids = await observer.vectors.listDocumentPointIds('demo', doc.documentId);
      expect(ids.length).toBe(doc.chunksTotal);
      expect(new Set(ids).size).toBe(ids.length);
    }
    await expectStoreAccountedFor();
  });

  it('cancels, retries and deletes, leaving nothing in the store the catalog does not account for', async () => {
    // Documents of many chunks, so the real model is still embedding when the cancel lands: the
    // pipeline indexes small documents in packs, far too fast to catch half-way.
    const files = Array.from({ length: 16 }, (_, i) => ({
      name: `cancel-${i}.txt`,
      bytes: makeText(Array.from({ length: 40 }, (_, p) => `Cancellable ${i} part ${p} on topic ${i * 7 + p}. ${'more filler words here '.repeat(20)}`).join('\n\n')),
    }));
    const upload = await uploadBatch(api.baseUrl, apiKey, files);
    const batchId: string = upload.body.batchId;
    await waitUntilMidBatch(batchId, 0);
    expect((await call(`/api/batches/${batchId}/cancel`, { method: 'POST' })).status).toBe(202);
    const cancelled = await waitForBatch(api.baseUrl, apiKey, batchId, 240_000);
    expect(cancelled.status).toBe('cancelled');
    const unfinished = cancelled.documents.filter((d) => d.status === 'cancelled');
    expect(unfinished.length).toBeGreaterThan(0);
    // The run's own clean-up leaves the shared vector index holding exactly what the catalog
    // says, document by document; the scheduled reconciliation, run now from the operator's
    // host, then finds nothing to change.
    const expectVectorsMatchCatalog = async () => {
      for (const doc of cancelled.documents) {
        const record = (await observer.catalog.getDocument('demo', doc.documentId))!;
        const expected = record.status === 'indexed' ? record.chunks : 0;
        expect(await observer.vectors.countDocument('demo', doc.documentId), `${doc.filename} (${record.status})`).toBe(expected);
      }
    };
    await expectVectorsMatchCatalog();
    await reconcileTenant(observer, 'demo');
    await expectVectorsMatchCatalog();
    await expectStoreAccountedFor();

    const retry = await call(`/api/batches/${batchId}/retry`, { method: 'POST' });
    expect(retry.status).toBe(202);
    const retried = await waitForBatch(api.baseUrl, apiKey, batchId, 300_000);
    expect(retried.status).toBe('completed');
    for (const doc of retried.documents) expect(doc.status, `${doc.filename}: ${JSON.stringify(doc.error)}`).toBe('indexed');
    await expectStoreAccountedFor();

    const victim = retried.documents[0];
    const record = (await observer.catalog.getDocument('demo', victim.documentId))!;
    const removed = await call(`/api/documents/${victim.documentId}`, { method: 'DELETE' });
    expect(await removed.json()).toEqual({ documentId: victim.documentId, deleted: true, vectorsRemaining: 0 });
    expect(await observer.blobs.hasBlob(record.blobKey)).toBe(false);
    expect(await s3.keys(sharedSettings(), `artifacts/demo/${victim.documentId}/`)).toEqual([]);
    await expectStoreAccountedFor();
  });

  it('applies retention on the store: expired uploads and artifacts go, in batches, and nothing is left unaccounted', async () => {
    const settings = sharedSettings();
    const documents = await observer.catalog.listDocuments('demo', { limit: 100, offset: 0 });
    expect(documents.length).toBe(5 + 16 + 16 - 1);
    expect((await s3.keys(settings, 'artifacts/')).length).toBeGreaterThan(documents.length);
    // Every document finished more than a day ago, as far as this run is concerned.
    const report = await applyRetention({ catalog: observer.catalog, blobs: observer.blobs }, { artifactDays: 0, uploadDays: 0 }, Date.now() + 24 * HOUR);
    expect(report).toMatchObject({ documentsChecked: documents.length, artifactsRemoved: documents.length, uploadsRemoved: documents.length });
    expect(await s3.keys(settings, 'artifacts/')).toEqual([]);
    expect(await s3.keys(settings, 'blobs/')).toEqual([]);
    await expectStoreAccountedFor();
  });
});
