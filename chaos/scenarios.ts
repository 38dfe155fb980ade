/**
 * Fault scenarios: each uploads real documents through the API, follows every batch's event
 * stream, injects its faults into the running stack while the batches run, waits for them to
 * end, then runs the next retention pass and checks every invariant (invariants.ts), tenant
 * isolation (isolation.ts) and that reconciliation finds nothing to repair. Sizes are
 * parameters: `npm run chaos` runs the full sizes, `npm test` a reduced run.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { BatchView } from '../core/contracts.js';
import { allowedOutcomes, generateBadInputs } from '../test/fixtures/bad-inputs.js';
import { makeText } from '../test/fixtures/documents.js';
import type { UploadFile } from '../test/http.js';
import { follow, readBatch, upload, waitEnded, type ApiTarget } from './client.js';
import { checkInvariants, type InvariantReport } from './invariants.js';
import { checkIsolation } from './isolation.js';
import { replayRecordedHistories, writeRolloutEntry } from './rollout.js';
import type { ChaosStack, Pool } from './stack.js';

/** One row of the results table. */
export interface ScenarioResult extends InvariantReport {
  scenario: string;
  faultsInjected: number;
  /** From the first fault to the end of the last batch. */
  recoverySeconds: number;
  /** What reconciliation changed afterwards (must be nothing). */
  reconcileChanges: number;
  /** Reads of another tenant's data that returned something (must be none), of `isolationChecks`. */
  crossTenantReads: number;
  isolationChecks: number;
  /** What was injected and observed, for the report. */
  notes: string[];
  /** Scenario-specific checks that failed. */
  extraProblems: string[];
}

/** A scenario's entry point. */
export type Scenario = (stack: ChaosStack, size: ScenarioSizes) => Promise<ScenarioResult>;

/** How big each scenario runs. */
export interface ScenarioSizes {
  /**
   * `sections`: of each document (two make a chunk, see goodDocuments); `windowSeconds`: the faults
   * fall at random moments of this window, which opens when the batch starts work. The batch must
   * outlast it (it is sized for the real local model on two cores); a fault that would come after
   * the batch ended is reported as a problem.
   */
  workerKills: { documents: number; sections: number; kills: number; windowSeconds: number };
  temporalRestarts: { documents: number; sections: number; restarts: number; windowSeconds: number };
  storeOutage: { documents: number; seconds: number };
  embeddingFaults: { documents: number };
  apiKill: { uploads: number };
  poison: { good: number; poison: number };
  rollingDeploy: { documentsPerBatch: number };
}

/** The sizes. */
export const FULL_SIZE: ScenarioSizes = {
  workerKills: { documents: 500, sections: 2, kills: 20, windowSeconds: 100 },
  temporalRestarts: { documents: 200, sections: 2, restarts: 3, windowSeconds: 40 },
  storeOutage: { documents: 100, seconds: 30 },
  embeddingFaults: { documents: 100 },
  apiKill: { uploads: 20 },
  poison: { good: 100, poison: 10 },
  rollingDeploy: { documentsPerBatch: 40 },
};

/** Small enough for `npm test` on two shared cores: a few faults of every kind. */
export const REDUCED_SIZE: ScenarioSizes = {
  workerKills: { documents: 12, sections: 8, kills: 2, windowSeconds: 8 },
  temporalRestarts: { documents: 10, sections: 8, restarts: 1, windowSeconds: 5 },
  storeOutage: { documents: 8, seconds: 6 },
  embeddingFaults: { documents: 8 },
  apiKill: { uploads: 4 },
  poison: { good: 6, poison: 3 },
  rollingDeploy: { documentsPerBatch: 6 },
};

/** Generous bounds: a stuck batch fails the scenario instead of hanging the run. */
const BATCH_TIMEOUT_MS = 1_200_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Words every good document contains, for the cross-tenant search probe. */
const SEARCH_TEXT = 'reservoir flows logged by the crews';

/**
 * Distinct prose documents of `sections` to `sections + 2` sections of about 130 tokens each (two
 * sections a chunk), so embed and upsert have work to be cut in.
 */
export function goodDocuments(count: number, tag: string, sections = 2): UploadFile[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `${tag}-${i}.txt`,
    bytes: makeText(
      Array.from(
        { length: sections + (i % 3) },
        (_, p) =>
          `Report ${tag} ${i}, section ${p}: the reservoir ${i * 7 + p} held steady while crews logged item ${tag}-${i}-${p}. ${'Measured flows stayed within the seasonal range. '.repeat(10)}`,
      ).join('\n\n'),
    ),
  }));
}

const owner = (stack: ChaosStack): ApiTarget => ({ baseUrl: stack.baseUrl, ...stack.owner });
const tagOf = (prefix: string) => `${prefix}${randomUUID().slice(0, 4)}`;

/** The batches a scenario started, and a watcher following each one's event stream. */
class Batches {
  readonly ids: string[] = [];
  readonly accepted: string[] = [];
  private readonly watchers: Promise<{ last: BatchView; reopened: number } | Error>[] = [];

  constructor(private readonly stack: ChaosStack) {}

  /** Uploads one batch (it must be accepted whole) and starts following it. */
  async upload(files: UploadFile[]): Promise<string> {
    const answer = await upload(owner(this.stack), files);
    if (answer.status !== 202) throw new Error(`upload answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    this.track(answer.body.batchId, answer.body.documents);
    return answer.body.batchId;
  }

  track(batchId: string, documents: { documentId: string }[]): void {
    this.ids.push(batchId);
    this.accepted.push(...documents.map((d) => d.documentId));
    this.watchers.push(follow(() => owner(this.stack), batchId, BATCH_TIMEOUT_MS).catch((err: Error) => err));
  }

  ended(): Promise<BatchView[]> {
    return Promise.all(this.ids.map((id) => waitEnded(() => owner(this.stack), id, BATCH_TIMEOUT_MS)));
  }

  lastFrames() {
    return Promise.all(this.watchers);
  }
}

/** Faults injected and what was seen, as the scenario body reports them. */
interface Injected {
  count: number;
  /** When the first fault was injected (ms since epoch). */
  firstAt: number;
  notes: string[];
}

/**
 * Ends a scenario: waits for every batch, runs the next retention pass, then checks the
 * invariants, tenant isolation, reconciliation and the scenario's own checks.
 */
async function conclude(
  name: string,
  stack: ChaosStack,
  batches: Batches,
  injected: Injected,
  extraChecks: (views: BatchView[]) => Promise<string[]> | string[] = () => [],
): Promise<ScenarioResult> {
  const views = await batches.ended();
  const recoverySeconds = (Date.now() - injected.firstAt) / 1000;
  const extraProblems: string[] = [];
  const lastFrames: BatchView[] = [];
  let reopened = 0;
  for (const [i, watched] of (await batches.lastFrames()).entries()) {
    if (watched instanceof Error) extraProblems.push(`could not follow batch ${batches.ids[i]}: ${watched.message}`);
    else {
      lastFrames.push(watched.last);
      reopened += watched.reopened;
    }
  }
  const notes = [...injected.notes];
  if (reopened > 0) notes.push(`event streams reopened ${reopened} times`);
  const checksStarted = Date.now();
  const retention = await stack.runRetention();
  if (retention.orphanUploadsRemoved + retention.stagedRemoved > 0) {
    notes.push(`retention removed ${retention.orphanUploadsRemoved} stray uploads and ${retention.stagedRemoved} staged files`);
  }
  const report = await checkInvariants({
    catalog: stack.catalog,
    vectors: stack.vectors,
    blobs: stack.blobs,
    tenantId: stack.owner.tenantId,
    acceptedDocumentIds: batches.accepted,
    lastFrames,
    stagedFiles: stack.stagedFiles(),
  });
  const isolation = await checkIsolation({
    baseUrl: stack.baseUrl,
    owner: { ...stack.owner, batchIds: batches.ids, documentIds: batches.accepted, searchText: SEARCH_TEXT },
    other: stack.other,
    catalog: stack.catalog,
    vectors: stack.vectors,
  });
  const repairs = await stack.reconcile();
  const reconcileChanges = repairs.reduce((n, r) => n + r.orphanPointsRemoved + r.stalePointsRemoved + r.pointsRestored + r.documentsRepaired + r.documentsMarkedFailed.length, 0);
  extraProblems.push(...(await extraChecks(views)), ...isolation.problems);
  notes.push(`checks took ${((Date.now() - checksStarted) / 1000).toFixed(1)} s`);
  return {
    scenario: name,
    faultsInjected: injected.count,
    recoverySeconds,
    reconcileChanges,
    crossTenantReads: isolation.problems.length,
    isolationChecks: isolation.attempts,
    notes,
    extraProblems,
    ...report,
  };
}

/** Every document of the batches must have indexed, whatever the fault was. */
function allIndexed(views: BatchView[]): string[] {
  return views.flatMap((view) =>
    view.documents.filter((d) => d.status !== 'indexed').map((d) => `${d.filename}: ${d.status} (${d.error?.code ?? 'no code'}: ${d.error?.message ?? 'no reason'})`),
  );
}

/** Whether every batch has ended; a batch the API cannot show now (it or Temporal is restarting) has not. */
async function allEnded(stack: ChaosStack, batchIds: string[]): Promise<boolean> {
  for (const batchId of batchIds) {
    const view = await readBatch(owner(stack), batchId);
    if (!view || view.status === 'running') return false;
  }
  return true;
}

/** Waits until a document of the batches has left the queue: the pipeline is at work. */
async function untilWorkStarts(stack: ChaosStack, batchIds: string[]): Promise<void> {
  const deadline = Date.now() + BATCH_TIMEOUT_MS;
  while (Date.now() < deadline) {
    for (const batchId of batchIds) {
      const view = await readBatch(owner(stack), batchId);
      if (view && (view.status !== 'running' || view.documents.some((d) => d.status !== 'queued'))) return;
    }
    await sleep(100);
  }
}

/**
 * Injects `count` faults at random moments of a window that opens when the batches start work:
 * one in each equal slice of it, so they land in every step, from the first parse to the last
 * upsert. Time, not the share of finished documents: the pipeline finishes documents in packs,
 * so that share jumps from nothing to most of the batch at once. A fault whose moment comes after
 * the batches ended is not injected (the count says so).
 */
async function atRandomMoments(stack: ChaosStack, batchIds: string[], count: number, windowSeconds: number, inject: (i: number) => Promise<void>): Promise<Injected> {
  await untilWorkStarts(stack, batchIds);
  const opened = Date.now();
  const injected: Injected = { count: 0, firstAt: opened, notes: [] };
  for (let i = 0; i < count; i++) {
    await sleep(opened + ((i + Math.random()) / count) * windowSeconds * 1000 - Date.now());
    if (await allEnded(stack, batchIds)) break;
    if (i === 0) injected.firstAt = Date.now();
    await inject(i);
    injected.count++;
  }
  return injected;
}

function allLanded(injected: Injected, wanted: number, what: string): string[] {
  return injected.count < wanted ? [`only ${injected.count} of ${wanted} ${what} landed before the batch ended; make the batch bigger`] : [];
}

/** Log lines of failed activity attempts of one of `steps` in the pool's workers since `since`. */
function failedAttempts(stack: ChaosStack, pool: Pool, steps: string[], since: number): number {
  return stack
    .allWorkers(pool)
    .flatMap((w) => w.logs)
    .filter((l) => l.msg === 'activity failed' && steps.includes(String(l.step)) && Date.parse(String(l.time)) >= since).length;
}

/** 1: worker SIGKILLs in both pools at random moments during one batch. */
export const workerKills: Scenario = async (stack, size) => {
  const { documents, sections, kills, windowSeconds } = size.workerKills;
  const batches = new Batches(stack);
  await batches.upload(goodDocuments(documents, tagOf('wk'), sections));
  const pools: Pool[] = ['index', 'parse'];
  const injected = await atRandomMoments(stack, batches.ids, kills, windowSeconds, (i) => stack.killWorker(pools[i % 2]));
  injected.notes.push(`${Math.ceil(injected.count / 2)} index and ${Math.floor(injected.count / 2)} parse workers SIGKILLed and replaced`);
  return conclude('worker SIGKILLs', stack, batches, injected, (views) => [...allLanded(injected, kills, 'kills'), ...allIndexed(views)]);
};

/** 2: the Temporal dev server SIGKILLed and restarted on the same SQLite file during a batch. */
export const temporalRestarts: Scenario = async (stack, size) => {
  const { documents, sections, restarts, windowSeconds } = size.temporalRestarts;
  const batches = new Batches(stack);
  await batches.upload(goodDocuments(documents, tagOf('tr'), sections));
  const injected = await atRandomMoments(stack, batches.ids, restarts, windowSeconds, () => stack.restartTemporal());
  injected.notes.push(`Temporal dev server SIGKILLed ${injected.count} times, restarted on the same SQLite file`);
  return conclude('Temporal server SIGKILL + restart', stack, batches, injected, (views) => [...allLanded(injected, restarts, 'restarts'), ...allIndexed(views)]);
};

/**
 * 3: the vector store unreachable for every worker and the API while a batch is upserting
 * (LanceDB: its tables taken away underneath the adapter; Qdrant: the connection cut at a
 * proxy). Every document must still index once the store is back, none twice.
 */
export const storeOutage: Scenario = async (stack, size) => {
  const { documents, seconds } = size.storeOutage;
  const batches = new Batches(stack);
  const batchId = await batches.upload(goodDocuments(documents, tagOf('so')));
  // Start the outage once the first documents are being embedded: their upsert comes within it.
  // (Waiting for a first indexed document is too late: a pack writes all its documents at once.)
  const deadline = Date.now() + BATCH_TIMEOUT_MS;
  while (!(await readBatch(owner(stack), batchId))?.documents.some((d) => d.status === 'embedding') && Date.now() < deadline) await sleep(100);
  const firstAt = Date.now();
  const cut = stack.storeOutage.begin();
  await sleep(seconds * 1000);
  stack.storeOutage.end();
  // Index packs (embed and upsert in one activity), and the upsert step of runs started before them.
  const failedUpserts = failedAttempts(stack, 'index', ['index', 'upsert'], firstAt);
  const injected: Injected = {
    count: 1,
    firstAt,
    notes: [
      `${stack.storeOutage.kind} unreachable for ${seconds} s (${cut} ${stack.storeOutage.kind === 'lancedb' ? 'tables' : 'proxy'} cut); ${failedUpserts} index attempts failed on it`,
    ],
  };
  return conclude('vector store unreachable', stack, batches, injected, (views) => [
    ...(failedUpserts === 0 ? ['no upsert failed during the outage: it hit nothing, make the batch bigger'] : []),
    ...allIndexed(views),
  ]);
};

/**
 * 4: the index workers' embedding endpoint behind a fault proxy in front of the real server:
 * 30 % 429 with Retry-After, 10 % 500, some requests never answered (the client's timeout ends
 * them), and once a vector of the wrong dimension in the answer for one document. That document
 * fails with `embedding_rejected` and nothing of it is written; every other document indexes.
 */
export const embeddingFaults: Scenario = async (stack, size) => {
  const tag = tagOf('ef');
  const ours = new RegExp(`^(?:passage: )?Report ${tag} (\\d+),`);
  const proxy = stack.embeddingProxy;
  proxy.arm({
    rateLimited: 0.3,
    retryAfterSeconds: 1,
    serverError: 0.1,
    hang: 0.04,
    leadWith: ['rateLimited', 'serverError', 'hang'],
    wrongDimensionFor: (input) => ours.test(input),
  });
  try {
    const batches = new Batches(stack);
    const firstAt = Date.now();
    await batches.upload(goodDocuments(size.embeddingFaults.documents, tag));
    const views = await batches.ended();
    proxy.disarm();
    const victimIndex = proxy.wrongDimensionInput === undefined ? undefined : ours.exec(proxy.wrongDimensionInput)?.[1];
    const victim = victimIndex === undefined ? undefined : `${tag}-${victimIndex}.txt`;
    const { rateLimited, serverError, hung, wrongDimension, forwarded } = proxy.counts;
    const injected: Injected = {
      count: rateLimited + serverError + hung + wrongDimension,
      firstAt,
      notes: [
        `embedding requests: ${rateLimited} answered 429, ${serverError} answered 500, ${hung} held past the timeout, ${wrongDimension} with a wrong-dimension vector (${victim ?? 'none'}), ${forwarded} forwarded`,
      ],
    };
    return await conclude('embedding endpoint faults', stack, batches, injected, async () => {
      const problems: string[] = [];
      if (!victim) problems.push('no answer got the wrong-dimension vector');
      if (rateLimited === 0 || serverError === 0 || hung === 0) problems.push('not every kind of fault was injected');
      for (const doc of views.flatMap((v) => v.documents)) {
        if (doc.filename === victim) {
          if (doc.status !== 'failed' || doc.error?.code !== 'embedding_rejected')
            problems.push(`${doc.filename} got the wrong-dimension vector but ended ${doc.status} ${doc.error?.code ?? ''}, expected failed embedding_rejected`);
          const points = await stack.vectors.countDocument(stack.owner.tenantId, doc.documentId);
          if (points !== 0) problems.push(`${doc.filename} has ${points} points: the wrong-dimension answer was written`);
        } else if (doc.status !== 'indexed') {
          problems.push(`${doc.filename}: ${doc.status} (${doc.error?.code}: ${doc.error?.message})`);
        }
      }
      return problems;
    });
  } finally {
    proxy.disarm();
  }
};

/**
 * 5: the API SIGKILLed during concurrent uploads; clients whose request died retry with the same
 * Idempotency-Key: one batch per key, no half-accepted batch, every document indexed, and no
 * orphan files after the next retention run.
 */
export const apiKillDuringUploads: Scenario = async (stack, size) => {
  const keys = Array.from({ length: size.apiKill.uploads }, () => randomUUID());
  const files = keys.map((key) => goodDocuments(2, `ak${key.slice(0, 6)}`));
  // Clients of different speeds: the quickest are answered before the kill, the others die
  // mid-body or while the API stores and records what it received.
  const spreads = keys.map((_, i) => 300 + (i * 1_500) / keys.length);
  const attempts = keys.map((key, i) => upload(owner(stack), files[i], { idempotencyKey: key, spreadOverMs: spreads[i] }));
  await sleep(800);
  const firstAt = Date.now();
  await stack.restartApi();
  const first = await Promise.all(attempts);
  const died = first.filter((a) => a.status !== 202).length;
  const final = await Promise.all(keys.map((key, i) => (first[i].status === 202 ? first[i] : upload(owner(stack), files[i], { idempotencyKey: key }))));
  // Every client asks once more: an idempotent API must answer with the same batch.
  const again = await Promise.all(keys.map((key, i) => upload(owner(stack), files[i], { idempotencyKey: key })));
  const batches = new Batches(stack);
  const problems: string[] = [];
  keys.forEach((key, i) => {
    if (final[i].status !== 202) return problems.push(`key ${key}: the retry answered ${final[i].status}`);
    if (again[i].body.batchId !== final[i].body.batchId) problems.push(`key ${key}: two batches (${final[i].body.batchId}, ${again[i].body.batchId})`);
    if (final[i].body.documents.length !== files[i].length) problems.push(`key ${key}: half-accepted batch (${final[i].body.documents.length} of ${files[i].length})`);
    batches.track(final[i].body.batchId, final[i].body.documents);
  });
  const injected: Injected = { count: 1, firstAt, notes: [`API SIGKILLed during ${keys.length} uploads; ${died} requests died and were retried with their Idempotency-Key`] };
  return conclude('API SIGKILL during uploads', stack, batches, injected, (views) => [
    ...(died === 0 ? ['no upload was in flight when the API died'] : []),
    ...problems,
    ...allIndexed(views),
  ]);
};

/** 6: poison files among good ones: no worker dies, each poison file fails within 3 attempts with its reason, the good ones index. */
export const poisonFiles: Scenario = async (stack, size) => {
  const poison = (await generateBadInputs({ log: () => {} }))
    .filter((input) => allowedOutcomes(input.expect).every((o) => 'status' in o && o.status === 'failed'))
    .slice(0, size.poison.poison);
  const workers = [...stack.workers('parse'), ...stack.workers('index')];
  const batches = new Batches(stack);
  const firstAt = Date.now();
  await batches.upload([...poison.map((p) => ({ name: p.name, bytes: p.bytes })), ...goodDocuments(size.poison.good, tagOf('pf'))]);
  const injected: Injected = { count: poison.length, firstAt, notes: [`poison files: ${poison.map((p) => p.name).join(', ')}`] };
  return conclude('poison files among good ones', stack, batches, injected, ([view]) => {
    const problems: string[] = [];
    if (poison.length < size.poison.poison) problems.push(`only ${poison.length} poison files available`);
    for (const worker of workers) if (worker.child.exitCode !== null || worker.child.signalCode !== null) problems.push(`worker ${worker.child.pid} died`);
    for (const doc of view.documents) {
      const input = poison.find((p) => p.name === doc.filename);
      if (input) {
        const codes = allowedOutcomes(input.expect).flatMap((o) => ('codes' in o ? o.codes : []));
        if (doc.status !== 'failed' || !codes.includes(doc.error?.code as never))
          problems.push(`${doc.filename}: poison ended ${doc.status} ${doc.error?.code ?? ''}, expected failed with ${codes.join(' or ')}`);
      } else if (doc.status !== 'indexed') problems.push(`${doc.filename}: good document ended ${doc.status}`);
      if (doc.attempt > 3) problems.push(`${doc.filename}: ${doc.attempt} attempts`);
    }
    return problems;
  });
};

/**
 * 7: a workflow code change (`patched()`) deployed mid-batch: the index workers are rolled one
 * by one to version 2 while a batch started by version 1 runs, more batches start during and
 * after the roll, all complete, and every history the run recorded replays against version 2.
 */
export const rollingDeploy: Scenario = async (stack, size) => {
  const startedAt = new Date(Date.now() - 1_000);
  const entry = await writeRolloutEntry(path.join(stack.dataDir, 'rollout'));
  const batches = new Batches(stack);
  const perBatch = size.rollingDeploy.documentsPerBatch;
  const first = await batches.upload(goodDocuments(perBatch, tagOf('rd')));
  const firstAt = Date.now();
  // The batches must still be running when the roll ends, whatever the machine's speed: while
  // the workers roll, the embedding endpoint answers 500, so index steps fail and the workflows
  // back off and retry (timers and failures are workflow tasks too, taken by either version).
  // Once every worker runs version 2 it answers again, and the batches end on version 2 alone.
  stack.embeddingProxy.arm({ rateLimited: 0, retryAfterSeconds: 1, serverError: 1, hang: 0 });
  const firstStillRunning = (await stack.catalog.getBatch(stack.owner.tenantId, first))?.status === 'running';
  const rollStarted = Date.now();
  try {
    await stack.rollWorkers('index', { workflows: entry, label: 'v2' }, async (rolled) => {
      // A batch started while version 1 and version 2 workers share the queue.
      if (rolled < stack.workers('index').length) await batches.upload(goodDocuments(perBatch, tagOf('rd')));
    });
  } finally {
    stack.embeddingProxy.disarm();
  }
  const rollSeconds = (Date.now() - rollStarted) / 1000;
  await batches.upload(goodDocuments(perBatch, tagOf('rd')));
  let replayNote = 'histories not replayed';
  const result = await conclude('rolling workflow deploy', stack, batches, { count: stack.workers('index').length, firstAt, notes: [] }, async (views) => {
    const problems = allIndexed(views);
    if (!firstStillRunning) problems.push('the first batch had ended before the roll began: make it bigger');
    const replayStarted = Date.now();
    const replay = await replayRecordedHistories(stack.temporalAddress, startedAt, entry);
    problems.push(...replay.failures.map((f) => `replay against version 2 failed: ${f}`));
    const crossed = replay.executions.filter((e) => !e.startedByV2 && e.taskIdentities.some((id) => id.includes('-v2@')) && e.taskIdentities.some((id) => !id.includes('-v2@')));
    const byV2 = replay.executions.filter((e) => e.startedByV2);
    if (crossed.length === 0) problems.push('no execution started by version 1 was continued by version 2');
    if (byV2.length === 0) problems.push('no execution took the patched branch');
    replayNote = `${replay.replayed} histories replayed against version 2 (${replay.executions.length} from this run); ${crossed.length} executions crossed from version 1 to 2, ${byV2.length} started by version 2; the roll took ${rollSeconds.toFixed(0)} s, the replay ${((Date.now() - replayStarted) / 1000).toFixed(0)} s`;
    return problems;
  });
  result.notes.push(replayNote);
  // Version 2 stays deployed: it is the last scenario, and what a real roll-out leaves behind.
  return result;
};

/** Every scenario this harness runs, in order. */
export const SCENARIOS: Record<string, Scenario> = {
  'worker-kills': workerKills,
  'temporal-restarts': temporalRestarts,
  'store-outage': storeOutage,
  'embedding-faults': embeddingFaults,
  'api-kill': apiKillDuringUploads,
  poison: poisonFiles,
  'rolling-deploy': rollingDeploy,
};
