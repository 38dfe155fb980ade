/** Small HTTP helpers for tests that talk to the API the way a client would. */
import { applyBatchDelta, type BatchDelta, type BatchView } from '../core/contracts.js';

export interface UploadFile {
  name: string;
  bytes: Uint8Array;
  type?: string;
}

/** POSTs files as multipart to /api/batches. */
export async function uploadBatch(baseUrl: string, apiKey: string, files: UploadFile[], headers: Record<string, string> = {}) {
  const form = new FormData();
  for (const f of files) form.append('files', new Blob([f.bytes as Uint8Array<ArrayBuffer>], { type: f.type ?? 'application/octet-stream' }), f.name);
  const res = await fetch(`${baseUrl}/api/batches`, { method: 'POST', body: form, headers: { authorization: `Bearer ${apiKey}`, ...headers } });
  return { status: res.status, body: (await res.json()) as any };
}

export interface SseFrame {
  event: string;
  id: string | null;
  data: string;
}

/** Reads an SSE stream until `stopAt` returns true or the stream ends; returns every frame. */
export async function readSse(url: string, headers: Record<string, string>, stopAt: (frame: SseFrame) => boolean, signal?: AbortSignal): Promise<SseFrame[]> {
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal });
  if (res.status !== 200) throw new Error(`SSE answered ${res.status}: ${await res.text()}`);
  if (!res.headers.get('content-type')?.startsWith('text/event-stream')) throw new Error(`not an event stream: ${res.headers.get('content-type')}`);
  const frames: SseFrame[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(part, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const raw = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (raw.startsWith(':')) continue;
      const frame: SseFrame = { event: 'message', id: null, data: '' };
      for (const line of raw.split('\n')) {
        const colon = line.indexOf(':');
        const field = line.slice(0, colon);
        const value = line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') frame.event = value;
        else if (field === 'id') frame.id = value;
        else if (field === 'data') frame.data += (frame.data ? '\n' : '') + value;
      }
      frames.push(frame);
      if (stopAt(frame)) return frames;
    }
  }
  return frames;
}

/**
 * The view a client holds after these progress frames, as the web app builds it: the last
 * `snapshot` with every later `progress` and `done` delta applied. Null before any snapshot.
 */
export function viewFromFrames(frames: readonly SseFrame[]): BatchView | null {
  let view: BatchView | null = null;
  for (const f of frames) {
    if (f.event === 'snapshot') view = JSON.parse(f.data) as BatchView;
    else if (view && (f.event === 'progress' || f.event === 'done')) view = applyBatchDelta(view, JSON.parse(f.data) as BatchDelta);
  }
  return view;
}

/** Polls GET /api/batches/:id until the batch is terminal. */
export async function waitForBatch(baseUrl: string, apiKey: string, batchId: string, timeoutMs = 180_000): Promise<BatchView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${baseUrl}/api/batches/${batchId}`, { headers: { authorization: `Bearer ${apiKey}` } });
    const view = (await res.json()) as BatchView;
    if (view.status !== 'running') return view;
    if (Date.now() > deadline) throw new Error(`batch ${batchId} still running after ${timeoutMs} ms: ${JSON.stringify(view.documents.map((d) => d.status))}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}
