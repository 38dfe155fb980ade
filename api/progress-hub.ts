/**
 * One progress reader per batch per API process, shared by everyone watching that batch.
 *
 * The hub builds the whole view once (every catalog row, so file names are read once, plus the
 * run's live state), then polls once per interval whatever the number of watchers: one catalog
 * row (is the batch over? which run?), the batch workflow, and its running shards for what
 * changed since the last poll. Each document remembers the seq at which it last changed, so a
 * watcher is sent only the documents that changed since its last frame; watchers at the same
 * seq share one serialized frame. When the catalog says the batch ended, the view is compared
 * with the catalog's rows and the difference is the last frame, so every watcher ends with
 * exactly the catalog's state. The hub never writes anywhere.
 *
 * Frames: `snapshot` (the whole view) first on every connection, then `progress` (a delta), and
 * one `done` (the last delta). A delta larger than `maxFrameBytes` goes out as several frames of
 * which only the last carries the id (progress-frames.ts). A reconnecting client (Last-Event-ID)
 * gets its new snapshot once the batch has moved past that id, so no id is ever repeated or goes
 * backwards.
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { BatchRecord, Catalog } from '../adapters/catalog.js';
import type { BatchView, DocumentView } from '../core/contracts.js';
import type { Logger } from '../core/logger.js';
import { isTerminalBatch, type BatchStatus } from '../core/progress.js';
import { deltaFrames, MAX_FRAME_BYTES, serializeDocument, type ProgressFrame, type SerializedDocument } from './progress-frames.js';
import { allDocuments, documentFromCatalog, freshCursor, readLiveChanges, withLive, type ProgressCursor } from './progress.js';
import type { TemporalGateway } from './temporal-gateway.js';

export type { ProgressFrame } from './progress-frames.js';

export interface ProgressHubOptions {
  gateway: TemporalGateway;
  catalog: Catalog;
  /** How often each batch's reader polls while someone watches. */
  pollMs: number;
  /** Largest JSON of a progress or done frame; larger deltas are split. Defaults to MAX_FRAME_BYTES. */
  maxFrameBytes?: number;
  logger?: Logger;
}

/** One connection's view of a batch: the frames it should write next, in order. */
export interface ProgressWatch {
  /** Resolves with the next frames (empty after `idleMs` without news, for a keep-alive), or null once the stream is over. */
  next(idleMs: number): Promise<ProgressFrame[] | null>;
  close(): void;
}

interface Entry {
  view: DocumentView;
  /** The view serialized once per change: compared on every read and written into every delta. */
  serialized: SerializedDocument;
  /** Hub seq at which this document last changed. */
  changedAt: number;
}

/** The registry of per-batch readers of one API process. */
export interface ProgressHubs {
  /** Starts watching a batch from `lastEventId` (-1 for a first connection). */
  watch(batch: BatchRecord, lastEventId: number): ProgressWatch;
  /** Readers currently polling (for tests and metrics). */
  active(): number;
}

export function createProgressHubs(options: ProgressHubOptions): ProgressHubs {
  const hubs = new Map<string, BatchHub>();
  return {
    watch(batch, lastEventId) {
      const key = `${batch.tenantId}/${batch.id}`;
      let hub = hubs.get(key);
      if (!hub) {
        const created = new BatchHub(batch, options, () => {
          if (hubs.get(key) === created) hubs.delete(key);
        });
        hubs.set(key, created);
        hub = created;
      }
      return hub.watch(lastEventId);
    },
    active: () => hubs.size,
  };
}

/** Without news for this long, a comment line keeps proxies from closing the stream. */
const KEEP_ALIVE_MS = 15_000;

/**
 * The body of `GET /api/batches/{id}/events`: follows the batch through its hub until `done` or
 * until the client goes away. `lastEventId` is the client's Last-Event-ID header, if any.
 */
export function streamProgress(c: Context, hubs: ProgressHubs, batch: BatchRecord, lastEventId: string | undefined): Response {
  const last = lastEventId !== undefined && /^\d{1,15}$/.test(lastEventId) ? Number(lastEventId) : -1;
  return streamSSE(c, async (stream) => {
    const watch = hubs.watch(batch, last);
    stream.onAbort(() => watch.close());
    try {
      for (;;) {
        const frames = await watch.next(KEEP_ALIVE_MS);
        if (frames === null || stream.aborted) return;
        if (frames.length === 0) await stream.write(': keep-alive\n\n');
        for (const frame of frames) await stream.writeSSE(frame);
      }
    } finally {
      watch.close();
    }
  });
}

interface Watcher {
  /** Seq of the last frame written (or the client's Last-Event-ID). */
  seq: number;
  /** No snapshot yet on this connection. */
  fresh: boolean;
  done: boolean;
  wake: (() => void) | null;
}

class BatchHub {
  private readonly entries = new Map<string, Entry>();
  private order: string[] = [];
  private status: BatchStatus = 'running';
  private seq = -1;
  private workflowId: string;
  private createdAt: string;
  private cursor: ProgressCursor | null = null;
  private ended = false;
  private built: Promise<void> | null = null;
  private readonly watchers = new Set<Watcher>();
  private timer: NodeJS.Timeout | null = null;
  /** Frames of the current seq, by the seq a watcher comes from: built once, shared by watchers in step. */
  private frameCache = new Map<string, ProgressFrame[]>();

  constructor(
    private readonly batch: Pick<BatchRecord, 'tenantId' | 'id' | 'workflowId' | 'createdAt'>,
    private readonly o: ProgressHubOptions,
    private readonly onIdle: () => void,
  ) {
    this.workflowId = batch.workflowId;
    this.createdAt = batch.createdAt;
  }

  watch(lastEventId: number): ProgressWatch {
    const w: Watcher = { seq: lastEventId, fresh: true, done: false, wake: null };
    this.watchers.add(w);
    this.built ??= this.poll().finally(() => this.schedule());
    return {
      next: async (idleMs) => {
        if (w.done) return null;
        await this.built;
        if (!this.hasNews(w)) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, idleMs);
            w.wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          w.wake = null;
        }
        if (w.done) return null;
        return this.hasNews(w) ? this.framesFor(w) : [];
      },
      close: () => {
        w.done = true;
        w.wake?.();
        this.watchers.delete(w);
        if (this.watchers.size === 0) this.stop();
      },
    };
  }

  private hasNews(w: Watcher): boolean {
    return this.seq > w.seq || (this.ended && !w.done);
  }

  private framesFor(w: Watcher): ProgressFrame[] {
    const frames: ProgressFrame[] = [];
    const id = String(this.seq);
    if (w.fresh && (this.seq > w.seq || w.seq < 0)) {
      frames.push(...this.cached('snapshot', () => [{ event: 'snapshot', id, data: JSON.stringify(this.snapshot()) }]));
      w.fresh = false;
      w.seq = this.seq;
    }
    if (this.ended) {
      // A connection that got no snapshot already had everything (its Last-Event-ID is the end).
      const from = w.fresh ? this.seq : w.seq;
      frames.push(...this.cached(`delta:${from}`, () => this.delta(from, 'done')));
      w.done = true;
    } else if (this.seq > w.seq) {
      const from = w.seq;
      frames.push(...this.cached(`delta:${from}`, () => this.delta(from, 'progress')));
    }
    w.seq = this.seq;
    return frames;
  }

  private cached(key: string, build: () => ProgressFrame[]): ProgressFrame[] {
    let data = this.frameCache.get(key);
    if (data === undefined) {
      data = build();
      this.frameCache.set(key, data);
    }
    return data;
  }

  private snapshot(): BatchView {
    return {
      batchId: this.batch.id,
      status: this.status,
      createdAt: this.createdAt,
      workflowId: this.workflowId,
      seq: this.seq,
      documents: this.order.map((id) => this.entries.get(id)!.view),
    };
  }

  /** The documents changed since `sinceSeq`, as one frame or, when large, several. */
  private delta(sinceSeq: number, event: 'progress' | 'done'): ProgressFrame[] {
    const documents: SerializedDocument[] = [];
    for (const id of this.order) {
      const entry = this.entries.get(id)!;
      if (entry.changedAt > sinceSeq) documents.push(entry.serialized);
    }
    const head = { batchId: this.batch.id, status: this.status, seq: this.seq, workflowId: this.workflowId };
    return deltaFrames(head, sinceSeq, documents, event, this.o.maxFrameBytes ?? MAX_FRAME_BYTES);
  }

  /**
   * Records document states observed at `observedSeq`. Every change moves the hub's seq (a
   * watcher tells what it has not seen by seq), to the observed one when that is ahead.
   */
  private commit(views: DocumentView[], observedSeq: number): void {
    const next = Math.max(observedSeq, this.seq + 1);
    let changed = false;
    for (const view of views) {
      const entry = this.entries.get(view.documentId);
      if (!entry) continue;
      const serialized = serializeDocument(view);
      if (serialized.json === entry.serialized.json) continue;
      entry.view = view;
      entry.serialized = serialized;
      entry.changedAt = next;
      changed = true;
    }
    if (changed || observedSeq > this.seq) {
      this.seq = changed ? next : observedSeq;
      this.frameCache.clear();
    }
  }

  /** One read: the whole view the first time, then what changed. Never throws (a failed read is retried next poll). */
  private async poll(): Promise<void> {
    try {
      await this.read();
    } catch (err) {
      this.o.logger?.warn('progress read failed', { tenantId: this.batch.tenantId, batchId: this.batch.id, error: (err as Error).message });
    }
    for (const w of this.watchers) if (this.hasNews(w)) w.wake?.();
  }

  private async read(): Promise<void> {
    const record = await this.o.catalog.getBatch(this.batch.tenantId, this.batch.id);
    if (!record) return;
    this.createdAt = record.createdAt;
    const terminal = isTerminalBatch(record.status);
    if (this.order.length === 0 || terminal) {
      // The first read, and the last: every row, so names are read once and the end is the catalog's.
      const rows = await allDocuments(this.o.catalog, record);
      if (this.order.length === 0) {
        this.seq = Math.max(0, record.finalSeq ?? 0);
        this.order = rows.map((r) => r.id);
        for (const r of rows) {
          const view = documentFromCatalog(r);
          this.entries.set(r.id, { view, serialized: serializeDocument(view), changedAt: this.seq });
        }
      }
      if (terminal) {
        this.commit(rows.map(documentFromCatalog), record.finalSeq ?? 0);
        this.status = record.status;
        this.workflowId = record.workflowId;
        this.ended = true;
        this.frameCache.clear();
        return;
      }
    }
    if (this.cursor?.workflowId !== record.workflowId) {
      // A new run (a retry) starts over with a fresh cursor; its seqs continue from the last run's.
      this.cursor = freshCursor(record.workflowId);
      this.workflowId = record.workflowId;
      this.frameCache.clear();
    }
    const live = await readLiveChanges(this.o.gateway, this.cursor);
    if (!live) return; // not answering now (starting, or ended and not yet settled in the catalog)
    const views = live.documents.flatMap((d) => {
      const entry = this.entries.get(d.documentId);
      return entry ? [withLive(entry.view, d)] : [];
    });
    this.commit(views, live.seq);
  }

  private schedule(): void {
    if (this.ended || this.watchers.size === 0) {
      if (this.watchers.size === 0) this.stop();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.poll().finally(() => this.schedule());
    }, this.o.pollMs);
    // A hub never keeps the process alive on its own: the open connections do.
    this.timer.unref();
  }

  private stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.onIdle();
  }
}
