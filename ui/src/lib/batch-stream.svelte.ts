/**
 * Live view of one batch: load the current snapshot, then follow `GET /api/batches/{id}/events`.
 * Every SSE frame is a complete snapshot with a monotonic `seq`, so a reconnect or a reload
 * rebuilds the whole view and an older frame is simply ignored. EventSource reconnects by itself
 * (sending Last-Event-ID); while it does, `connection` is `reconnecting` so the page can say so.
 *
 * Streams live in a registry above the pages: several batches can run at once, and a batch
 * keeps being watched (and toasts when it ends) after the person navigates away from it.
 */
import type { BatchView } from '../../../core/contracts.js';
import { isTerminalBatch } from '../../../core/progress.js';
import { ApiRequestError, api, batchEventsUrl } from './api.js';

export type Connection = 'loading' | 'live' | 'reconnecting' | 'ended' | 'error';

/** How long to wait before reopening a stream the browser gave up on (HTTP error answers). */
const REOPEN_DELAY_MS = 2_000;

export class BatchStream {
  view = $state<BatchView | null>(null);
  connection = $state<Connection>('loading');
  error = $state<ApiRequestError | null>(null);

  private source: EventSource | null = null;
  private reopenTimer: ReturnType<typeof setTimeout> | null = null;
  private sawRunning = false;
  private closed = false;

  constructor(
    readonly batchId: string,
    /** Called once when a batch this stream saw running reaches an end state. */
    private readonly onFinished: (view: BatchView) => void,
  ) {}

  /** Loads the snapshot and opens the stream (again, after a retry started a new run). */
  async start(): Promise<void> {
    this.closed = false;
    this.stopSource();
    this.connection = this.view ? 'live' : 'loading';
    try {
      const view = await api.batch(this.batchId);
      this.accept(view, true);
      this.error = null;
    } catch (err) {
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
    const source = new EventSource(batchEventsUrl(this.batchId));
    this.source = source;
    const onFrame = (event: MessageEvent<string>) => {
      this.connection = 'live';
      this.accept(JSON.parse(event.data) as BatchView, false);
    };
    source.addEventListener('progress', onFrame);
    source.addEventListener('done', (event) => {
      onFrame(event);
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
      if (source.readyState === EventSource.CLOSED) {
        this.stopSource();
        this.reopenTimer = setTimeout(() => void this.resume(), REOPEN_DELAY_MS);
      }
    };
  }

  private async resume(): Promise<void> {
    if (this.closed) return;
    try {
      this.accept(await api.batch(this.batchId), false);
    } catch {
      this.connection = 'reconnecting';
      this.reopenTimer = setTimeout(() => void this.resume(), REOPEN_DELAY_MS);
      return;
    }
    if (this.view && isTerminalBatch(this.view.status)) this.connection = 'ended';
    else this.open();
  }

  private accept(view: BatchView, fresh: boolean): void {
    // A retry starts a new run whose snapshots may count again from a low seq: a fresh load wins.
    if (!fresh && this.view && view.seq < this.view.seq) return;
    this.view = view;
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
