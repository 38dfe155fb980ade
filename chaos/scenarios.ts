/**
 * Fault scenarios: each uploads real documents through the API, injects its faults into the
 * running stack while the batch runs, waits for every batch to end, and checks the invariants.
 * Sizes are parameters so `npm run chaos` runs them at full size and `npm test` a reduced run.
 */
import { randomUUID } from 'node:crypto';
import type { BatchView } from '../core/contracts.js';
import { generateBadInputs } from '../test/fixtures/bad-inputs.js';
import { makeText } from '../test/fixtures/documents.js';
import { readSse, type UploadFile } from '../test/http.js';
import { startFaultProxy } from './fault-proxy.js';
import { checkInvariants, type InvariantReport } from './invariants.js';
import type { ChaosStack, Pool } from './stack.js';

/** One row of the results table. */
export interface ScenarioResult extends InvariantReport {
  scenario: string;
  faultsInjected: number;
  /** From the first fault to the end of the last batch. */
  recoverySeconds: number;
  /** What reconciliation changed afterwards (must be nothing). */
  reconcileChanges: number;
  /** Scenario-specific checks that failed. */
  extraProblems: string[];
}

/** A scenario's entry point. */
export type Scenario = (stack: ChaosStack, size: ScenarioSize) => Promise<ScenarioResult>;

/** How big each scenario runs. */
export interface ScenarioSize {
  documents: number;
  workerKills: number;
  temporalRestarts: number;
  poisonFiles: number;
  concurrentUploads: number;
}

/** The issue's full sizes. */
export const FULL_SIZE: ScenarioSize = { documents: 500, workerKills: 20, temporalRestarts: 3, poisonFiles: 10, concurrentUploads: 20 };
/** Small enough for `npm test` on two cores. */
export const REDUCED_SIZE: ScenarioSize = { documents: 24, workerKills: 2, temporalRestarts: 1, poisonFiles: 4, concurrentUploads: 4 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Distinct prose documents, a few chunks each, so every step has work to be interrupted in. */
export function goodDocuments(count: number, tag: string): UploadFile[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `${tag}-${i}.txt`,
    bytes: makeText(
      Array.from({ length: 6 }, (_, p) => `Report ${tag} ${i}, section ${p}: the reservoir ${i * 7 + p} held steady while crews logged item ${tag}-${i}-${p}. ${'Measured flows stayed within the seasonal range. '.repeat(12)}`).join('\n\n'),
    ),
  }));
}

async function post(stack: ChaosStack, files: UploadFile[], idempotencyKey?: string): Promise<{ status: number; body: any }> {
  const form = new FormData();
  for (const f of files) form.append('files', new Blob([f.bytes as Uint8Array<ArrayBuffer>]), f.name);
  const headers: Record<string, string> = { authorization: `Bearer ${stack.apiKey}` };
  if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
  const res = await fetch(`${stack.baseUrl}/api/batches`, { method: 'POST', body: form, headers, signal: AbortSignal.timeout(120_000) });
  return { status: res.status, body: await res.json().catch(() => ({})) };
}

/** Polls until the batch is terminal, riding out an API or Temporal restart. */
async function waitTerminal(stack: ChaosStack, batchId: string, timeoutMs: number): Promise<BatchView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${stack.baseUrl}/api/batches/${batchId}`, { headers: { authorization: `Bearer ${stack.apiKey}` }, signal: AbortSignal.timeout(10_000) });
      if (res.ok) {
        const view = (await res.json()) as BatchView;
        if (view.status !== 'running') return view;
      }
    } catch {
      // the API or Temporal is restarting; keep asking
    }
    if (Date.now() > deadline) throw new Error(`batch ${batchId} did not end within ${timeoutMs / 1000} s`);
    await sleep(500);
  }
}

/** The last frame a watcher gets: the stream of an ended batch sends its final view as `done`. */
async function lastFrame(stack: ChaosStack, batchId: string): Promise<BatchView> {
  const frames = await readSse(`${stack.baseUrl}/api/batches/${batchId}/events`, { authorization: `Bearer ${stack.apiKey}` }, (f) => f.event === 'done', AbortSignal.timeout(60_000));
  const done = frames.find((f) => f.event === 'done');
  if (!done) throw new Error(`the event stream of ${batchId} ended without a done frame`);
  return JSON.parse(done.data) as BatchView;
}

/** Uploads, injects `fault` until the batches end, then checks everything. */
async function runWithFaults(
  name: string,
  stack: ChaosStack,
  uploads: UploadFile[][],
  faults: { count: number; inject: (i: number) => Promise<void>; spacingMs: number },
  extraChecks: (views: BatchView[]) => Promise<string[]> = async () => [],
): Promise<ScenarioResult> {
  const accepted: string[] = [];
  const batchIds: string[] = [];
  for (const files of uploads) {
    const answer = await post(stack, files);
    if (answer.status !== 202) throw new Error(`${name}: upload answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    batchIds.push(answer.body.batchId);
    accepted.push(...answer.body.documents.map((d: { documentId: string }) => d.documentId));
  }
  const firstFault = Date.now();
  for (let i = 0; i < faults.count; i++) {
    // Random moments: jittered around the spacing so kills land in every step.
    await sleep(faults.spacingMs * (0.5 + Math.random()));
    await faults.inject(i);
  }
  const views = await Promise.all(batchIds.map((id) => waitTerminal(stack, id, 900_000)));
  const recoverySeconds = (Date.now() - firstFault) / 1000;
  const frames = await Promise.all(batchIds.map((id) => lastFrame(stack, id)));
  const report = await checkInvariants({ catalog: stack.catalog, vectors: stack.vectors, blobs: stack.blobs, tenantId: stack.tenantId, acceptedDocumentIds: accepted, lastFrames: frames });
  const repair = await stack.reconcile();
  const reconcileChanges = repair.orphanPointsRemoved + repair.stalePointsRemoved + repair.pointsRestored + repair.documentsRepaired + repair.documentsMarkedFailed.length;
  return { scenario: name, faultsInjected: faults.count, recoverySeconds, reconcileChanges, extraProblems: await extraChecks(views), ...report };
}

/** 1: worker SIGKILLs in both pools at random moments during one batch. */
export const workerKills: Scenario = (stack, size) =>
  runWithFaults('worker SIGKILLs', stack, [goodDocuments(size.documents, `wk${randomUUID().slice(0, 4)}`)], {
    count: size.workerKills,
    spacingMs: 1_500,
    inject: (i) => stack.killWorker((i % 2 === 0 ? 'index' : 'parse') as Pool),
  });

/** 2: the Temporal dev server SIGKILLed and restarted on the same SQLite file during a batch. */
export const temporalRestarts: Scenario = (stack, size) =>
  runWithFaults('Temporal server SIGKILL + restart', stack, [goodDocuments(size.documents, `tr${randomUUID().slice(0, 4)}`)], {
    count: size.temporalRestarts,
    spacingMs: 4_000,
    inject: () => stack.restartTemporal(),
  });

/** 6: poison files among good ones: no worker dies, each poison file fails within 3 attempts, the good ones index. */
export const poisonFiles: Scenario = async (stack, size) => {
  const poison = (await generateBadInputs())
    .filter((input) => 'status' in input.expect && input.expect.status === 'failed')
    .slice(0, size.poisonFiles)
    .map((input) => ({ name: input.name, bytes: input.bytes }));
  const good = goodDocuments(size.documents, `pf${randomUUID().slice(0, 4)}`);
  const before = [...stack.workers('parse'), ...stack.workers('index')];
  return runWithFaults('poison files among good ones', stack, [[...poison, ...good]], { count: 0, spacingMs: 0, inject: async () => {} }, async ([view]) => {
    const problems: string[] = [];
    for (const worker of before) if (worker.child.exitCode !== null || worker.child.signalCode !== null) problems.push(`worker ${worker.child.pid} died`);
    for (const doc of view.documents) {
      const isPoison = poison.some((p) => p.name === doc.filename);
      if (isPoison && doc.status !== 'failed') problems.push(`${doc.filename}: poison ended ${doc.status}`);
      if (!isPoison && doc.status !== 'indexed') problems.push(`${doc.filename}: good document ended ${doc.status}`);
      if (doc.attempt > 3) problems.push(`${doc.filename}: ${doc.attempt} attempts`);
    }
    return problems;
  });
};

/** 5: the API SIGKILLed during concurrent uploads; clients retry with the same Idempotency-Key. */
export const apiKillDuringUploads: Scenario = async (stack, size) => {
  const keys = Array.from({ length: size.concurrentUploads }, () => randomUUID());
  const files = keys.map((key) => goodDocuments(2, `ak${key.slice(0, 6)}`));
  const firstFault = Date.now();
  const attempts = keys.map((key, i) => post(stack, files[i], key).catch((err: Error) => ({ status: 0, body: { error: err.message } })));
  await sleep(150);
  await stack.restartApi(true);
  const first = await Promise.all(attempts);
  // Every client whose request died (or was refused mid-restart) retries once with the same key.
  const final = await Promise.all(keys.map((key, i) => (first[i].status === 202 ? first[i] : post(stack, files[i], key))));
  const again = await Promise.all(keys.map((key, i) => post(stack, files[i], key)));
  const extraProblems: string[] = [];
  const batchIds: string[] = [];
  const accepted: string[] = [];
  keys.forEach((key, i) => {
    if (final[i].status !== 202) extraProblems.push(`key ${key}: retry answered ${final[i].status}`);
    else if (again[i].body.batchId !== final[i].body.batchId) extraProblems.push(`key ${key}: two batches (${final[i].body.batchId}, ${again[i].body.batchId})`);
    if (final[i].status === 202) {
      batchIds.push(final[i].body.batchId);
      accepted.push(...final[i].body.documents.map((d: { documentId: string }) => d.documentId));
      if (final[i].body.documents.length !== files[i].length) extraProblems.push(`key ${key}: half-accepted batch`);
    }
  });
  const views = await Promise.all(batchIds.map((id) => waitTerminal(stack, id, 900_000)));
  // An accepted upload of good documents must index, whatever the API went through.
  for (const view of views) for (const doc of view.documents) if (doc.status !== 'indexed') extraProblems.push(`${doc.filename}: ${doc.status} (${doc.error?.message ?? 'no reason'})`);
  const frames = await Promise.all(batchIds.map((id) => lastFrame(stack, id)));
  const report = await checkInvariants({ catalog: stack.catalog, vectors: stack.vectors, blobs: stack.blobs, tenantId: stack.tenantId, acceptedDocumentIds: accepted, lastFrames: frames });
  const repair = await stack.reconcile();
  return {
    scenario: 'API SIGKILL during uploads',
    faultsInjected: 1,
    recoverySeconds: (Date.now() - firstFault) / 1000,
    reconcileChanges: repair.orphanPointsRemoved + repair.stalePointsRemoved + repair.pointsRestored + repair.documentsRepaired + repair.documentsMarkedFailed.length,
    extraProblems,
    ...report,
  };
};

/**
 * 4: the index workers' embedding endpoint behind a fault proxy in front of the real server:
 * 30 % 429 with Retry-After, 10 % 500, some requests held past the client's timeout, and one
 * answer with a vector of the wrong dimension. The one document that got it fails with
 * `embedding_rejected` and nothing of it is written; every other document indexes.
 */
export const embeddingFaults: Scenario = async (stack, size) => {
  const proxy = await startFaultProxy(stack.embeddingsUrl, { rateLimited: 0.3, serverError: 0.1, hang: 0.03, hangMs: 6_000, wrongDimensionAnswers: 1 });
  try {
    await stack.replaceWorkers('index', { EMBEDDINGS_BASE_URL: proxy.baseURL, EMBEDDINGS_TIMEOUT_MS: '3000' });
    const result = await runWithFaults('embedding endpoint faults', stack, [goodDocuments(size.documents, `ef${randomUUID().slice(0, 4)}`)], { count: 0, spacingMs: 0, inject: async () => {} }, async ([view]) => {
      const problems: string[] = [];
      const failed = view.documents.filter((d) => d.status !== 'indexed');
      if (proxy.counts.wrongDimension !== 1) problems.push(`the wrong-dimension answer was sent ${proxy.counts.wrongDimension} times`);
      if (failed.length > 1) problems.push(`${failed.length} documents did not index: ${failed.map((d) => `${d.filename} ${d.status} ${d.error?.code}`).join(', ')}`);
      for (const doc of failed) if (doc.error?.code !== 'embedding_rejected') problems.push(`${doc.filename}: ${doc.status} with ${doc.error?.code ?? 'no reason'}, expected embedding_rejected`);
      return problems;
    });
    const { rateLimited, serverError, hung, wrongDimension } = proxy.counts;
    return { ...result, faultsInjected: rateLimited + serverError + hung + wrongDimension };
  } finally {
    await stack.replaceWorkers('index', {});
    await proxy.close();
  }
};

/** Every scenario this harness runs, in order. */
export const SCENARIOS: Record<string, Scenario> = {
  'worker-kills': workerKills,
  'temporal-restarts': temporalRestarts,
  'embedding-faults': embeddingFaults,
  'api-kill': apiKillDuringUploads,
  poison: poisonFiles,
};
