/**
 * Progress streams survive what real clients live through: a dropped connection, and the API
 * process being restarted mid-batch. The client reconnects like EventSource (same URL,
 * Last-Event-ID) and must see no repeated or reordered ids and still reach `done` with a view
 * (its snapshot plus the deltas after it) where every document is indexed, exactly as the
 * catalog records it. Indexing waits at a gate the test controls, so "mid-batch" is a fact
 * (documents are provably left when the line is cut), not a race against the machine's speed.
 * Batches are uploaded through the in-process app, whose fan-out puts one document in each index
 * step (so the gate holds documents one by one); any API replica streams any batch.
 */
import { Context } from '@temporalio/activity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchView } from '../core/contracts.js';
import { startApiProcess, type ApiProcess } from './api-process.js';
import { makeText } from './fixtures/documents.js';
import { uploadBatch, viewFromFrames } from './http.js';
import { readSseReconnecting, type SessionFrame, type SseSession } from './sse-client.js';
import { startStack, type Stack } from './stack.js';

const DOCUMENTS = 8;
// Documents whose embedding may run before the line is cut; the others wait at the gate.
const RELEASED = 2;

/**
 * Holds index steps until the test admits some documents or opens the gate; counts who waits.
 * An admitted document stays admitted, so a retried step of it is never held.
 */
function createGate() {
  let permits = 0;
  let open = false;
  const admitted = new Set<string>();
  let waiting = 0;
  const sleepers = new Set<() => void>();
  const wake = () => {
    for (const s of [...sleepers]) s();
  };
  return {
    /** Documents that got through at least once. */
    get passed() {
      return admitted.size;
    },
    get waiting() {
      return waiting;
    },
    release(n: number) {
      permits += n;
      wake();
    },
    openAll() {
      open = true;
      wake();
    },
    close() {
      open = false;
      permits = 0;
      admitted.clear();
    },
    async pass(documentId: string) {
      const context = Context.current();
      waiting++;
      try {
        while (!open && !admitted.has(documentId) && permits === 0) {
          if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason;
          await new Promise<void>((resolve) => {
            const done = () => {
              clearTimeout(timer);
              sleepers.delete(done);
              resolve();
            };
            const timer = setTimeout(done, 1_000);
            sleepers.add(done);
          });
          context.heartbeat(); // waiting here is not a dead worker
        }
      } finally {
        waiting--;
      }
      if (!open && !admitted.has(documentId)) permits--;
      admitted.add(documentId);
    },
  };
}

function documents(tag: string) {
  return Array.from({ length: DOCUMENTS }, (_, i) => ({
    name: `${tag}-${i}.txt`,
    bytes: makeText(
      Array.from({ length: 10 }, (_, p) => `${tag} document ${i}, paragraph ${p}, on subject ${i * 10 + p}. ${'progress keeps flowing downstream '.repeat(4)}`).join('\n\n'),
    ),
  }));
}

/** The view a client holds right after `frame` (each connection starts with a snapshot). */
function viewAt(frames: SessionFrame[], frame: SessionFrame): BatchView {
  const view = viewFromFrames(frames.slice(0, frames.indexOf(frame) + 1));
  if (!view) throw new Error(`no snapshot before frame ${JSON.stringify(frame)}`);
  return view;
}

/**
 * Waits until the batch cannot move: the released documents are indexed, every other started
 * document is parked at the gate, and no frame arrives for a while. Cutting the line then means
 * the server has nothing new to say on reconnect, so a server that ignored Last-Event-ID and
 * resent the current state would be caught repeating an id.
 */
async function untilParked(gate: ReturnType<typeof createGate>, released: number, frames: SessionFrame[], reading: Promise<unknown>) {
  let readingDone = false;
  void reading.then(
    () => (readingDone = true),
    () => (readingDone = true),
  );
  const deadline = Date.now() + 60_000;
  const parked = () => {
    const last = frames.at(-1);
    if (!last) return false;
    const docs = viewAt(frames, last).documents;
    const count = (status: string) => docs.filter((d) => d.status === status).length;
    return gate.passed === released && count('indexed') === released && count('parsing') + count('chunking') === 0 && gate.waiting > 0 && count('embedding') === gate.waiting;
  };
  for (;;) {
    if (readingDone) throw new Error('the SSE session ended before the batch was parked');
    if (Date.now() > deadline)
      throw new Error(`the batch never parked at the gate (passed ${gate.passed}, waiting ${gate.waiting}, last frame ${frames.at(-1)?.data.slice(0, 300)})`);
    if (parked()) {
      const seen = frames.length;
      await new Promise((r) => setTimeout(r, 1_500)); // three poll periods of the API's SSE loop
      if (parked() && frames.length === seen) return;
    } else {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** The properties every resumed session must have, whatever cut the line. */
function expectConsistentSession(session: SseSession, batchId: string) {
  const describeSession = JSON.stringify(session.connections);
  const last = session.frames.at(-1);
  expect(last?.event, describeSession).toBe('done');

  // A delta too large for one frame is split, and only its last part carries the id: an id-less
  // frame is a leading progress part, saying the seq of the last id its connection delivered.
  const lastIdBefore = (frame: SessionFrame) =>
    session.frames
      .slice(0, session.frames.indexOf(frame))
      .filter((f) => f.connection === frame.connection && f.id !== null)
      .at(-1)?.id;
  for (const frame of session.frames) {
    if (frame.id !== null) {
      expect(frame.id, `an id is a seq: ${JSON.stringify(frame)}`).toMatch(/^\d+$/);
      continue;
    }
    expect(frame.event, `only a leading progress part goes without an id: ${JSON.stringify(frame)}`).toBe('progress');
    expect(String((JSON.parse(frame.data) as { seq: number }).seq), `a leading part keeps the seq already delivered`).toBe(lastIdBefore(frame));
  }
  const identified = session.frames.filter((f) => f.id !== null);

  // After each reconnect, nothing at or below the Last-Event-ID that was sent.
  const reconnected = session.connections.filter((c) => c.index > 0 && c.frames > 0);
  expect(reconnected.length, describeSession).toBeGreaterThan(0);
  for (const c of reconnected) {
    expect(c.lastEventId, `connection ${c.index} must send Last-Event-ID`).not.toBeNull();
    for (const f of identified.filter((x) => x.connection === c.index)) {
      expect(Number(f.id), `${f.event} frame on connection ${c.index} after Last-Event-ID ${c.lastEventId}`).toBeGreaterThan(Number(c.lastEventId));
    }
  }

  // Every connection starts with a snapshot, and ids strictly increase across the whole session
  // (snapshots included); done repeats the last seq at most.
  for (const c of session.connections.filter((x) => x.frames > 0)) {
    expect(session.frames.find((f) => f.connection === c.index)?.event, `connection ${c.index} starts with a snapshot`).toBe('snapshot');
  }
  const ids = identified.filter((f) => f.event !== 'done').map((f) => Number(f.id));
  for (let i = 1; i < ids.length; i++) expect(ids[i], `ids ${ids.join(',')}`).toBeGreaterThan(ids[i - 1]);
  expect(Number(last!.id)).toBeGreaterThanOrEqual(ids.at(-1)!);

  const done = viewAt(session.frames, last!);
  expect(done.batchId).toBe(batchId);
  expect(done.status).toBe('completed');
  expect(done.documents).toHaveLength(DOCUMENTS);
  for (const doc of done.documents) {
    expect(doc.status, `${doc.filename}: ${JSON.stringify(doc.error)}`).toBe('indexed');
    expect(doc.chunks).toBeGreaterThan(0);
  }
}

/** Proves the line was cut mid-batch and the stream then resumed with live progress. */
function expectCutMidBatch(session: SseSession, cutConnection: number) {
  const before = session.frames.filter((f) => f.connection === cutConnection).at(-1);
  expect(before, 'a frame before the cut').toBeDefined();
  const view = viewAt(session.frames, before!);
  expect(view.status).toBe('running');
  expect(view.documents.filter((d) => d.status === 'indexed').length).toBeLessThan(DOCUMENTS);
  const resumed = session.frames.filter((f) => f.connection > cutConnection && f.event !== 'done');
  expect(resumed.length, 'live progress frames after reconnecting').toBeGreaterThan(0);
  expect(
    resumed.some((f) => viewAt(session.frames, f).status === 'running'),
    'a running view after reconnecting',
  ).toBe(true);
}

describe('SSE progress across disconnects and API restarts', () => {
  let stack: Stack;
  let api: ApiProcess | undefined;
  const gate = createGate();
  beforeAll(async () => {
    stack = await startStack({
      // One chunk range per index step, and enough steps at once for every document: the gate
      // then holds documents one by one, and every document still embedding is held there.
      fanOut: { chunksPerPack: 1, packsInFlight: DOCUMENTS },
      wrapIndexActivities: (real) => ({
        ...real,
        async indexChunks(input) {
          for (const item of input.items) await gate.pass(item.documentId);
          return real.indexChunks(input);
        },
      }),
    });
    api = await startApiProcess(stack.workerEnv);
  });
  afterAll(async () => {
    gate.openAll(); // nothing may stay parked in an activity while the workers shut down
    await api?.stop();
    await stack?.close();
  });

  it('resumes after a dropped connection with Last-Event-ID, skipping nothing and repeating nothing', async () => {
    gate.close();
    gate.release(RELEASED);
    const upload = await uploadBatch(stack.baseUrl, stack.apiKey, documents('dropped'));
    expect(upload.status, JSON.stringify(upload.body)).toBe(202);
    const batchId: string = upload.body.batchId;

    const seen: SessionFrame[] = [];
    let dropFirst: (() => void) | undefined;
    const reading = readSseReconnecting({
      url: `${api!.baseUrl}/api/batches/${batchId}/events`,
      headers: { authorization: `Bearer ${stack.apiKey}` },
      retryMs: 300,
      onFrame: (f) => seen.push(f),
      onOpen: (c, drop) => {
        if (c.index === 0) dropFirst = drop;
        else gate.openAll(); // the rest of the batch runs only once the client is back
      },
    });
    await untilParked(gate, RELEASED, seen, reading);
    dropFirst!();
    const session = await reading;

    expect(session.connections[0].ended).toBe('dropped');
    expect(session.connections[1].lastEventId).toBe(session.frames.filter((f) => f.connection === 0 && f.id !== null).at(-1)!.id);
    expect(gate.passed).toBe(DOCUMENTS);
    expectCutMidBatch(session, 0);
    expectConsistentSession(session, batchId);
  });

  it('resumes across a SIGTERM and restart of the API process on the same port', async () => {
    gate.close();
    gate.release(RELEASED);
    const first = api!;
    const upload = await uploadBatch(stack.baseUrl, stack.apiKey, documents('restarted'));
    expect(upload.status, JSON.stringify(upload.body)).toBe(202);
    const batchId: string = upload.body.batchId;

    const seen: SessionFrame[] = [];
    let oldGone = false;
    const reading = readSseReconnecting({
      url: `${first.baseUrl}/api/batches/${batchId}/events`,
      headers: { authorization: `Bearer ${stack.apiKey}` },
      retryMs: 500,
      onFrame: (f) => seen.push(f),
      // Only a connection made after the old process exited can be to the new one.
      onOpen: (c) => {
        if (c.index > 0 && oldGone) gate.openAll();
      },
    });
    await untilParked(gate, RELEASED, seen, reading);
    const exit = await first.stop('SIGTERM');
    oldGone = true;
    api = undefined;
    api = await startApiProcess(stack.workerEnv, { port: first.port });
    const session = await reading;

    expect(exit, `the API process should exit cleanly on SIGTERM; its output:\n${first.output().slice(-4000)}`).toEqual({ code: 0, signal: null });
    // The old process either reset the stream or ended it; both make EventSource reconnect.
    expect(['error', 'closed'], JSON.stringify(session.connections)).toContain(session.connections[0].ended);
    expect(gate.passed).toBe(DOCUMENTS);
    expectCutMidBatch(session, 0);
    expectConsistentSession(session, batchId);
    console.log(
      `[sse-resilience] restart: first stream ended by ${session.connections[0].ended} (${session.connections[0].error}); ` +
        `${session.connections.length} connection attempts (${session.connections.filter((c) => c.status === null).length} refused while the API was down), ` +
        `frame ids ${session.frames.map((f) => `${f.event}:${f.id}@${f.connection}`).join(' ')}`,
    );
  });
});
