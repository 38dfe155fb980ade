/**
 * Follows one batch over SSE the way the web app does (snapshot, then deltas applied by
 * document, then done) and measures what a watcher experiences: when each document's end
 * reached it, relative to when the workflow finished the document (progress latency), and how
 * big each frame after the first snapshot was.
 */
import { applyBatchDelta, type BatchDelta, type BatchView } from '../core/contracts.js';
import { isTerminalDocument } from '../core/progress.js';
import { readSseReconnecting } from '../test/sse-client.js';

export interface FollowResult {
  view: BatchView;
  /** Milliseconds from a document's finishedAt (workflow time) to the frame that showed it ended. */
  latenciesMs: number[];
  /** Bytes of each frame's data after the first snapshot. */
  frameBytes: number[];
  frames: number;
}

/** Reads the batch's stream until `done`; rejects after `deadlineMs`. */
export async function followBatch(baseUrl: string, apiKey: string, batchId: string, deadlineMs: number): Promise<FollowResult> {
  let view: BatchView | null = null;
  const seenEnded = new Set<string>();
  const latenciesMs: number[] = [];
  const frameBytes: number[] = [];
  let snapshots = 0;
  let frames = 0;
  await readSseReconnecting({
    url: `${baseUrl}/api/batches/${batchId}/events`,
    headers: { authorization: `Bearer ${apiKey}` },
    retryMs: 500,
    deadlineMs,
    onFrame: (frame) => {
      const receivedAt = Date.now();
      frames++;
      if (frame.event === 'snapshot') {
        snapshots++;
        view = JSON.parse(frame.data) as BatchView;
        if (snapshots > 1) frameBytes.push(Buffer.byteLength(frame.data));
        // Documents that ended before this watcher saw them say nothing about latency.
        for (const d of view.documents) if (isTerminalDocument(d.status)) seenEnded.add(d.documentId);
        return;
      }
      frameBytes.push(Buffer.byteLength(frame.data));
      const delta = JSON.parse(frame.data) as BatchDelta;
      for (const d of delta.documents) {
        if (!isTerminalDocument(d.status) || seenEnded.has(d.documentId)) continue;
        seenEnded.add(d.documentId);
        if (d.finishedAt !== null) latenciesMs.push(receivedAt - d.finishedAt);
      }
      if (view) view = applyBatchDelta(view, delta);
    },
  });
  if (!view) throw new Error(`batch ${batchId}: the stream ended without a snapshot`);
  return { view, latenciesMs, frameBytes, frames };
}
