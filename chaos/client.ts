/**
 * The harness as an API client: uploads, polls a batch through restarts of the API and of
 * Temporal, and follows a batch's event stream from the upload to its end the way the web app
 * does (reconnecting with Last-Event-ID, reopening when the stream is refused), so the last
 * frame compared with the catalog is the one a watcher really saw.
 */
import type { BatchView } from '../core/contracts.js';
import { viewFromFrames, type UploadFile } from '../test/http.js';
import { readSseReconnecting } from '../test/sse-client.js';
import type { TenantKey } from './stack.js';

/** Where the API is and who is asking. */
export interface ApiTarget extends TenantKey {
  baseUrl: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How an upload is sent. */
export interface UploadOptions {
  idempotencyKey?: string;
  /** Send the body in slices over this long, as a slow client would, so a crash can land mid-request. */
  spreadOverMs?: number;
}

const SLICES = 8;

/** The multipart body in slices with pauses between them. */
function trickle(bytes: Uint8Array, overMs: number): ReadableStream<Uint8Array> {
  let sent = 0;
  const slice = Math.ceil(bytes.length / SLICES);
  return new ReadableStream({
    async pull(controller) {
      if (sent > 0) await sleep(overMs / SLICES);
      controller.enqueue(bytes.subarray(sent, sent + slice));
      sent += slice;
      if (sent >= bytes.length) controller.close();
    },
  });
}

/** POSTs files as one batch; status 0 when the request died (the API went away). */
export async function upload(api: ApiTarget, files: UploadFile[], options: UploadOptions = {}): Promise<{ status: number; body: any }> {
  const form = new FormData();
  for (const f of files) form.append('files', new Blob([f.bytes as Uint8Array<ArrayBuffer>]), f.name);
  const headers: Record<string, string> = { authorization: `Bearer ${api.apiKey}` };
  if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
  try {
    let body: FormData | ReadableStream<Uint8Array> = form;
    if (options.spreadOverMs) {
      const encoded = new Request('http://multipart.invalid/', { method: 'POST', body: form });
      headers['content-type'] = encoded.headers.get('content-type')!;
      body = trickle(new Uint8Array(await encoded.arrayBuffer()), options.spreadOverMs);
    }
    const res = await fetch(`${api.baseUrl}/api/batches`, { method: 'POST', body, headers, duplex: 'half', signal: AbortSignal.timeout(120_000) } as RequestInit);
    return { status: res.status, body: await res.json().catch(() => ({})) };
  } catch (err) {
    return { status: 0, body: { error: (err as Error).message } };
  }
}

/** The batch as GET /api/batches/:id shows it now; undefined while the API or Temporal is away. */
export async function readBatch(api: ApiTarget, batchId: string): Promise<BatchView | undefined> {
  try {
    const res = await fetch(`${api.baseUrl}/api/batches/${batchId}`, { headers: { authorization: `Bearer ${api.apiKey}` }, signal: AbortSignal.timeout(10_000) });
    return res.ok ? ((await res.json()) as BatchView) : undefined;
  } catch {
    return undefined;
  }
}

/** Polls until the batch has ended, riding out restarts. */
export async function waitEnded(api: () => ApiTarget, batchId: string, timeoutMs: number): Promise<BatchView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await readBatch(api(), batchId);
    if (view && view.status !== 'running') return view;
    if (Date.now() > deadline) throw new Error(`batch ${batchId} did not end within ${timeoutMs / 1000} s`);
    await sleep(500);
  }
}

/**
 * Follows the batch's event stream until its `done` frame and returns the view it built. A connection
 * that drops is resumed with Last-Event-ID; a stream the API refuses while it or Temporal is
 * restarting is opened again, as the web app's retry does.
 */
export async function follow(api: () => ApiTarget, batchId: string, timeoutMs: number): Promise<{ last: BatchView; reopened: number }> {
  const deadline = Date.now() + timeoutMs;
  let reopened = 0;
  for (;;) {
    const target = api();
    try {
      const session = await readSseReconnecting({
        url: `${target.baseUrl}/api/batches/${batchId}/events`,
        headers: { authorization: `Bearer ${target.apiKey}` },
        deadlineMs: Math.max(1_000, deadline - Date.now()),
      });
      // The view the web app ends with: the snapshot with every delta applied, through `done`.
      const last = session.frames.some((f) => f.event === 'done') ? viewFromFrames(session.frames) : null;
      if (last) return { last, reopened };
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`following batch ${batchId}: ${(err as Error).message}`);
    }
    reopened++;
    await sleep(1_000);
  }
}
