import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BatchDelta, BatchView, DocumentView } from '../../../core/contracts.js';
import { BatchStream } from './batch-stream.svelte.js';

/**
 * An EventSource as a browser runs it, driven by the test: frames are dispatched by name, the
 * id of the last frame is what the browser would send as Last-Event-ID when it reconnects by
 * itself (same object), and `readyState` tells whether it will.
 */
class FakeEventSource {
  readyState = 0;
  closed = false;
  lastEventId = '';
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  private listeners = new Map<string, ((event: MessageEvent<string>) => void)[]>();
  constructor(readonly url: string) {}
  addEventListener(name: string, listener: (event: MessageEvent<string>) => void): void {
    this.listeners.set(name, [...(this.listeners.get(name) ?? []), listener]);
  }
  close(): void {
    this.closed = true;
    this.readyState = 2;
  }
  /** The connection (re)opened. */
  opened(): void {
    this.readyState = 1;
    this.onopen?.();
  }
  /** A frame arrives; with `id` null it has no id line, and the browser keeps the previous Last-Event-ID. */
  frame(event: 'snapshot' | 'progress' | 'done', data: BatchView | BatchDelta, id: string | null = String(data.seq)): void {
    if (id !== null) this.lastEventId = id;
    for (const listener of this.listeners.get(event) ?? []) listener({ data: JSON.stringify(data) } as MessageEvent<string>);
  }
  /** The line dropped; `givesUp` is an HTTP error answer, after which a browser does not retry. */
  dropped(givesUp = false): void {
    this.readyState = givesUp ? 2 : 0;
    this.onerror?.();
  }
}

const doc = (documentId: string, status: DocumentView['status'], chunks = 0): DocumentView => ({
  documentId,
  filename: `${documentId}.txt`,
  status,
  chunks,
  chunksTotal: status === 'indexed' ? chunks : null,
  attempt: 1,
  error: null,
  startedAt: 1,
  finishedAt: status === 'indexed' ? 2 : null,
  duplicateOf: null,
});
const view = (seq: number, status: BatchView['status'], documents: DocumentView[]): BatchView => ({
  batchId: 'b1',
  status,
  createdAt: '2026-01-01T00:00:00Z',
  workflowId: 'ingest-t-b1',
  seq,
  documents,
});
const delta = (seq: number, status: BatchView['status'], documents: DocumentView[]): BatchDelta => ({ batchId: 'b1', status, seq, workflowId: 'ingest-t-b1', documents });

function setUp(loaded: BatchView[]) {
  const sources: FakeEventSource[] = [];
  const finished: BatchView[] = [];
  const loads = [...loaded];
  const stream = new BatchStream('b1', (v) => finished.push(v), {
    load: async () => loads.shift() ?? loaded.at(-1)!,
    open: (url) => {
      const source = new FakeEventSource(url);
      sources.push(source);
      return source as unknown as EventSource;
    },
  });
  return { stream, sources, finished };
}

describe('BatchStream', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('starts from the loaded view, takes the snapshot, applies deltas by document, and ends on done', async () => {
    const { stream, sources, finished } = setUp([view(3, 'running', [doc('a', 'queued'), doc('b', 'queued'), doc('c', 'queued')])]);
    await stream.start();
    expect(stream.view?.seq).toBe(3);
    expect(sources).toHaveLength(1);
    expect(sources[0].url).toBe('/api/batches/b1/events');

    const src = sources[0];
    src.opened();
    src.frame('snapshot', view(4, 'running', [doc('a', 'parsing'), doc('b', 'queued'), doc('c', 'queued')]));
    expect(stream.connection).toBe('live');
    src.frame('progress', delta(7, 'running', [doc('b', 'embedding')]));
    src.frame('progress', delta(9, 'running', [doc('a', 'indexed', 3)]));
    // Only what changed came; the rest is what the snapshot said.
    expect(stream.view?.seq).toBe(9);
    expect(stream.view?.documents.map((d) => [d.documentId, d.status])).toEqual([
      ['a', 'indexed'],
      ['b', 'embedding'],
      ['c', 'queued'],
    ]);
    expect(finished).toHaveLength(0);

    src.frame('done', delta(12, 'completed', [doc('b', 'indexed', 1), doc('c', 'indexed', 2)]));
    expect(stream.connection).toBe('ended');
    expect(src.closed).toBe(true);
    expect(stream.view).toEqual(view(12, 'completed', [doc('a', 'indexed', 3), doc('b', 'indexed', 1), doc('c', 'indexed', 2)]));
    expect(finished).toEqual([stream.view]);
  });

  it('applies a delta split over several frames (only the last with an id) part by part, and ends once, on the last', async () => {
    const { stream, sources, finished } = setUp([view(3, 'running', [doc('a', 'queued'), doc('b', 'queued'), doc('c', 'queued')])]);
    await stream.start();
    const src = sources[0];
    src.opened();
    src.frame('snapshot', view(4, 'running', [doc('a', 'queued'), doc('b', 'queued'), doc('c', 'queued')]));
    // The server's leading parts say the seq the client has and a running batch, and carry no id.
    src.frame('progress', delta(4, 'running', [doc('a', 'indexed', 1)]), null);
    src.frame('progress', delta(4, 'running', [doc('b', 'indexed', 2)]), null);
    expect(src.lastEventId).toBe('4');
    expect(stream.connection).toBe('live');
    expect(stream.view?.documents.map((d) => d.status)).toEqual(['indexed', 'indexed', 'queued']);
    expect(finished).toHaveLength(0);

    src.frame('done', delta(12, 'completed', [doc('c', 'indexed', 3)]));
    expect(src.lastEventId).toBe('12');
    expect(stream.connection).toBe('ended');
    expect(stream.view).toEqual(view(12, 'completed', [doc('a', 'indexed', 1), doc('b', 'indexed', 2), doc('c', 'indexed', 3)]));
    expect(finished).toEqual([stream.view]);
  });

  it('leaves reconnecting to the browser (same EventSource, so Last-Event-ID is sent) and takes the new snapshot it gets', async () => {
    const { stream, sources } = setUp([view(3, 'running', [doc('a', 'queued'), doc('b', 'queued')])]);
    await stream.start();
    const src = sources[0];
    src.opened();
    src.frame('snapshot', view(3, 'running', [doc('a', 'queued'), doc('b', 'queued')]));
    src.frame('progress', delta(5, 'running', [doc('a', 'parsing')]));

    src.dropped();
    expect(stream.connection).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sources).toHaveLength(1); // no new EventSource: the browser's reconnect carries Last-Event-ID
    expect(src.lastEventId).toBe('5');

    // The server answers a reconnect with a snapshot newer than Last-Event-ID, then deltas again.
    src.opened();
    expect(stream.connection).toBe('live');
    src.frame('snapshot', view(8, 'running', [doc('a', 'indexed', 2), doc('b', 'embedding')]));
    src.frame('progress', delta(9, 'running', [doc('b', 'indexed', 4)]));
    expect(stream.view?.documents.map((d) => d.status)).toEqual(['indexed', 'indexed']);
    expect(stream.view?.seq).toBe(9);
  });

  it('reloads the view and opens a new stream after the browser gave up', async () => {
    const { stream, sources, finished } = setUp([view(3, 'running', [doc('a', 'queued')]), view(20, 'running', [doc('a', 'embedding')])]);
    await stream.start();
    sources[0].opened();
    sources[0].dropped(true);
    expect(stream.connection).toBe('reconnecting');
    expect(sources[0].closed).toBe(true);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(sources).toHaveLength(2);
    expect(stream.view?.seq).toBe(20);
    sources[1].opened();
    sources[1].frame('snapshot', view(21, 'running', [doc('a', 'embedding')]));
    sources[1].frame('done', delta(22, 'completed', [doc('a', 'indexed', 1)]));
    expect(stream.connection).toBe('ended');
    expect(finished.map((v) => v.status)).toEqual(['completed']);
  });

  it('opens no stream for a batch that already ended, and raises no end notice for it', async () => {
    const { stream, sources, finished } = setUp([view(12, 'completed', [doc('a', 'indexed', 1)])]);
    await stream.start();
    expect(stream.connection).toBe('ended');
    expect(sources).toHaveLength(0);
    expect(finished).toHaveLength(0);
  });

  it('lets a start made while another is loading supersede it: only the later load is shown, one stream is opened', async () => {
    const sources: FakeEventSource[] = [];
    const pending: ((v: BatchView) => void)[] = [];
    const stream = new BatchStream('b1', () => {}, {
      load: () => new Promise<BatchView>((resolve) => pending.push(resolve)),
      open: (url) => {
        const source = new FakeEventSource(url);
        sources.push(source);
        return source as unknown as EventSource;
      },
    });
    const first = stream.start();
    const second = stream.start();
    // The later load (the batch's new run) answers first; the earlier one, of the ended run, last.
    pending[1](view(5, 'running', [doc('d1', 'queued')]));
    await second;
    pending[0](view(4, 'completed', [doc('d1', 'indexed', 3)]));
    await first;
    expect(stream.view?.status).toBe('running');
    expect(sources).toHaveLength(1);
    sources[0].frame('snapshot', view(6, 'running', [doc('d1', 'embedding')]));
    expect(stream.connection).toBe('live');
  });

  it('stops for good on close: no reopening after the browser gives up', async () => {
    const { stream, sources } = setUp([view(3, 'running', [doc('a', 'queued')])]);
    await stream.start();
    stream.close();
    expect(sources[0].closed).toBe(true);
    sources[0].dropped(true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sources).toHaveLength(1);
  });
});
