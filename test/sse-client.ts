/**
 * An SSE client that reconnects the way a browser's EventSource does: after a dropped or closed
 * connection it waits `retry` ms and asks the same URL again with `Last-Event-ID` set to the last
 * id it saw, and keeps retrying while the server is unreachable. A non-200 answer or a wrong
 * content type is fatal, as it is for EventSource. Tests use it to check that a stream survives
 * network drops and API restarts without repeating or skipping progress.
 */

/** One dispatched event; why: tests assert on ids and payloads per connection. */
export interface SessionFrame {
  event: string;
  id: string | null;
  data: string;
  /** Index (from 0) of the connection attempt that delivered this frame. */
  connection: number;
}

/** How one connection attempt went; why: a failed reconnect must be explainable from the report. */
export interface ConnectionRecord {
  index: number;
  /** The Last-Event-ID header sent, or null for none. */
  lastEventId: string | null;
  /** HTTP status, or null when no answer arrived (server down). */
  status: number | null;
  frames: number;
  /** stopped: stopAt matched; dropped: cut through `drop`; closed: the server ended it; error: network failure. */
  ended: 'stopped' | 'dropped' | 'closed' | 'error';
  error?: string;
}

/** What to read and when to cut the line; why: one client serves both drop and restart tests. */
export interface ReconnectingSseOptions {
  url: string;
  headers?: Record<string, string>;
  /** Reconnection delay until the server sends `retry:`; EventSource's default is a few seconds. */
  retryMs?: number;
  /** The whole session fails after this long. */
  deadlineMs?: number;
  /** Ends the session after this frame; by default at `event: done`. */
  stopAt?: (frame: SessionFrame) => boolean;
  /**
   * Called when a connection answered 200 with an event stream. `drop` cuts that connection at
   * any later moment, as a network failure would; the client then reconnects.
   */
  onOpen?: (connection: ConnectionRecord, drop: () => void) => void;
  /** Called for every frame, after it is recorded. */
  onFrame?: (frame: SessionFrame) => void;
}

/** Every frame of a session and every connection attempt; why: assertions span reconnects. */
export interface SseSession {
  frames: SessionFrame[];
  connections: ConnectionRecord[];
}

/** A fatal problem (the server refused the stream); never retried. */
class FatalSseError extends Error {}

/** Reads an SSE URL across reconnects until `stopAt`; why: EventSource semantics without a browser. */
export async function readSseReconnecting(options: ReconnectingSseOptions): Promise<SseSession> {
  const stopAt = options.stopAt ?? ((f: SessionFrame) => f.event === 'done');
  let retryMs = options.retryMs ?? 500;
  const deadline = Date.now() + (options.deadlineMs ?? 120_000);
  const session: SseSession = { frames: [], connections: [] };
  let lastEventId = '';
  const summary = () => JSON.stringify(session.connections);

  for (let index = 0; ; index++) {
    if (Date.now() > deadline) throw new Error(`SSE session did not reach its end in time; connections: ${summary()}`);
    const record: ConnectionRecord = { index, lastEventId: lastEventId || null, status: null, frames: 0, ended: 'closed' };
    session.connections.push(record);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('session deadline passed')), Math.max(0, deadline - Date.now()));
    let outcome: 'stop' | 'reconnect' = 'reconnect';
    let dropped = false;
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream', 'cache-control': 'no-cache', ...options.headers };
      if (lastEventId) headers['last-event-id'] = lastEventId;
      const res = await fetch(options.url, { headers, signal: controller.signal });
      record.status = res.status;
      if (res.status !== 200) throw new FatalSseError(`SSE answered ${res.status}: ${await res.text()}`);
      const type = res.headers.get('content-type') ?? '';
      if (!type.startsWith('text/event-stream')) throw new FatalSseError(`not an event stream: ${type}`);
      options.onOpen?.(record, () => {
        dropped = true;
        controller.abort(new Error('dropped by the test'));
      });

      const decoder = new TextDecoder();
      let buffer = '';
      let pending = { event: '', id: null as string | null, data: [] as string[] };
      read: for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(part, { stream: true });
        // Lines end in CRLF, LF or CR; keep a trailing CR until we know it is not half a CRLF.
        let match: RegExpExecArray | null;
        const lineEnd = /\r\n|\n|\r(?!$)/g;
        let consumed = 0;
        while ((match = lineEnd.exec(buffer))) {
          const line = buffer.slice(consumed, match.index);
          consumed = match.index + match[0].length;
          if (line === '') {
            // Dispatch. The id is remembered even for frames without data, as EventSource does.
            if (pending.id !== null) lastEventId = pending.id;
            if (pending.data.length > 0 || pending.event) {
              const frame: SessionFrame = { event: pending.event || 'message', id: pending.id, data: pending.data.join('\n'), connection: index };
              session.frames.push(frame);
              record.frames++;
              options.onFrame?.(frame);
              if (stopAt(frame)) {
                record.ended = 'stopped';
                outcome = 'stop';
                break read;
              }
            }
            pending = { event: '', id: null, data: [] };
            continue;
          }
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') pending.event = value;
          else if (field === 'data') pending.data.push(value);
          else if (field === 'id' && !value.includes('\0')) pending.id = value;
          else if (field === 'retry' && /^\d+$/.test(value)) retryMs = Number(value);
        }
        buffer = buffer.slice(consumed);
      }
    } catch (err) {
      if (err instanceof FatalSseError) throw new Error(`${err.message}; connections: ${summary()}`);
      if (dropped) {
        record.ended = 'dropped';
      } else {
        record.ended = 'error';
        const cause = (err as { cause?: Error }).cause;
        record.error = (err as Error).message + (cause ? ` (${cause.message})` : '');
      }
      if (Date.now() > deadline) throw new Error(`SSE session did not reach its end in time; connections: ${summary()}`);
    } finally {
      clearTimeout(timer);
      // Closes the connection when we stop or drop on purpose; a no-op after a network error.
      controller.abort();
    }
    if (outcome === 'stop') return session;
    await new Promise((r) => setTimeout(r, retryMs));
  }
}
