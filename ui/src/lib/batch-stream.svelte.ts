/**
 * Live view of one batch: load the current snapshot, then follow `GET /api/batches/{id}/events`.
 * Every connection starts with a `snapshot` frame (the whole view), then `progress` frames carry
 * only the documents that changed, each complete, and `done` the last changes. So a large batch
 * costs at most 48 KiB per frame (the server splits a larger delta into parts applied one by one,
 * only the last with an id), and a reconnect or a reload still rebuilds the whole view.
 * EventSource reconnects by itself (sending Last-Event-ID, after which the server sends a new
 * snapshot once the batch moved on); while it does, `connection` is `reconnecting` so the page
 * can say so.
 *
 * Streams live in a registry above the pages: several batches can run at once, and a batch
 * keeps being watched (and toasts when it ends) after the person navigates away from it.
 */
import { applyBatchDelta, type BatchDelta, type BatchView } from '../../../core/contracts.js';
import { isTerminalBatch } from '../../../core/progress.js';
import { ApiRequestError, api, batchEventsUrl } from './api.js';

export type Connection = 'loading' | 'live' | 'reconnecting' | 'ended' | 'error';

/** How long to wait before reopening a stream the browser gave up on (HTTP error answers). */
const REOPEN_DELAY_MS = 2_000;
/** EventSource.CLOSED: the browser will not reconnect by itself. */
const SOURCE_CLOSED = 2;

/** What the stream needs from the outside; the defaults are the API client and the browser's EventSource. */
export interface BatchStreamIo {
  load(batchId: string): Promise<BatchView>;
  open(url: string): EventSource;
}

const browserIo: BatchStreamIo = {
  load: (batchId) => api.batch(batchId),
  open: (url) => new EventSource(url),
};

export class BatchStream {
  view = $state<BatchView | null>(null);
  connection = $state<Connection>('loading');
  error = $state<ApiRequestError | null>(null);

  private source: EventSource | null = null;
  private reopenTimer: ReturnType<typeof setTimeout> | null = null;
  private sawRunning = false;
  private closed = false;
  /** Counts start() calls: only the latest one's load is shown and followed. */
  private starts = 0;

  constructor(
    readonly batchId: string,
    /** Called once when a batch this stream saw running reaches an end state. */
    private readonly onFinished: (view: BatchView) => void,
    private readonly io: BatchStreamIo = browserIo,
  ) {}

  /**
   * Loads the snapshot and opens the stream (again, after a retry started a new run). A start made
   * while an earlier one is still loading supersedes it: the earlier load may predate the new run,
   * and following both would leave two streams open.
   */
  async start(): Promise<void> {
    const start = ++this.starts;
    this.closed = false;
    this.stopSource();
    this.connection = this.view ? 'live' : 'loading';
    try {
      const view = await this.io.load(this.batchId);
      if (start !== this.starts) return;
      this.show(view);
      this.error = null;
    } catch (err) {
      if (start !== this.starts) return;
      this.error = err instanceof ApiRequestError ? err : new ApiRequestError(0, 'network_error', String(err), null);
      this.connection = 'error';
      return;
    }
    if (this.view && !isTerminalBatch(this.view.status)) this.open();
  }

  /** Stops following the batch. */
  close(): void {
    this.closed = true;
    this.stopSource();
  }

  private open(): void {
    if (this.closed) return;
    const source = this.io.open(batchEventsUrl(this.batchId));
    this.source = source;
    source.addEventListener('snapshot', (event) => {
      this.connection = 'live';
      this.show(JSON.parse((event as MessageEvent<string>).data) as BatchView);
    });
    source.addEventListener('progress', (event) => {
      this.connection = 'live';
      this.apply(JSON.parse((event as MessageEvent<string>).data) as BatchDelta);
    });
    source.addEventListener('done', (event) => {
      this.apply(JSON.parse((event as MessageEvent<string>).data) as BatchDelta);
      this.stopSource();
      this.connection = 'ended';
    });
    source.onopen = () => {
      if (this.connection === 'reconnecting') this.connection = 'live';
    };
    source.onerror = () => {
      if (this.source !== source || this.connection === 'ended') return;
      this.connection = 'reconnecting';
      // CLOSED means the browser will not retry by itself (an HTTP error answer): reopen later,
      // starting from a fresh snapshot in case the batch ended while we were away.
      if (source.readyState === SOURCE_CLOSED) {
        this.stopSource();
        this.reopenTimer = setTimeout(() => void this.resume(), REOPEN_DELAY_MS);
      }
    };
  }

  private async resume(): Promise<void> {
    if (this.closed) return;
    try {
      this.show(await this.io.load(this.batchId));
    } catch {
      this.connection = 'reconnecting';
      this.reopenTimer = setTimeout(() => void this.resume(), REOPEN_DELAY_MS);
      return;
    }
    if (this.view && isTerminalBatch(this.view.status)) this.connection = 'ended';
    else this.open();
  }

  /** A whole view (a load or a snapshot frame) replaces what we had: it is what the server says now. */
  private show(view: BatchView): void {
    this.view = view;
    this.settle();
  }

  /** A delta applies to the view this connection's snapshot started; without one there is nothing to apply it to. */
  private apply(delta: BatchDelta): void {
    if (!this.view) return;
    this.view = applyBatchDelta(this.view, delta);
    this.settle();
  }

  private settle(): void {
    const view = this.view!;
    if (!isTerminalBatch(view.status)) {
      this.sawRunning = true;
      return;
    }
    this.connection = 'ended';
    if (this.sawRunning) {
      this.sawRunning = false;
      this.onFinished(view);
    }
  }

  private stopSource(): void {
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    this.reopenTimer = null;
    this.source?.close();
    this.source = null;
  }
}
