/**
 * A progress delta cut into SSE frames of bounded size.
 *
 * When many documents change between two reads (a grouped step ends a whole pack at once), one
 * delta of a large batch carries thousands of documents: megabytes in one frame, which proxies
 * buffer and a browser parses in one go. So a delta whose JSON would pass `maxBytes` goes out as
 * several consecutive frames, each a valid delta holding a share of the changed documents (each
 * complete), and only the last carries the event id. The earlier parts still say the seq the
 * client already had and a running batch, so applied one by one they never announce an end or a
 * seq whose documents have not all arrived; a client cut off mid-split reconnects with the
 * previous id and gets a snapshot, which replaces whatever parts it applied.
 */
import type { BatchDelta, DocumentView } from '../core/contracts.js';

/** Largest JSON of a progress or done frame: well under the 64 KB a frame may reach after the snapshot. */
export const MAX_FRAME_BYTES = 48 * 1024;

/** One SSE frame, ready to write; without `id` no `id:` line is written, so the client's Last-Event-ID stays. */
export interface ProgressFrame {
  event: 'snapshot' | 'progress' | 'done';
  id?: string;
  data: string;
}

/** A document's JSON and its size in UTF-8 bytes, computed once when it changes. */
export interface SerializedDocument {
  json: string;
  bytes: number;
}

/** What ends a delta's JSON after its documents. */
const CLOSING = ']}';

export type DeltaHead = Omit<BatchDelta, 'documents'>;

/** Serializes one document view for `deltaFrames`. */
export function serializeDocument(view: DocumentView): SerializedDocument {
  const json = JSON.stringify(view);
  return { json, bytes: Buffer.byteLength(json) };
}

/**
 * The frames of one delta: `head` is the batch now, `baseSeq` the seq the receiving clients are
 * at (what the leading parts say). A single document larger than the limit still goes out whole,
 * alone in its frame: a document is never cut.
 */
export function deltaFrames(
  head: DeltaHead,
  baseSeq: number,
  documents: readonly SerializedDocument[],
  event: 'progress' | 'done',
  maxBytes: number = MAX_FRAME_BYTES,
): ProgressFrame[] {
  const last = opening(head);
  // 'running' is the only status that ends nothing: a terminal one on a leading part would end
  // the client's view (and tell the person it finished) with documents still to come.
  const leading = opening({ ...head, status: 'running', seq: baseSeq });
  const room = maxBytes - Math.max(Buffer.byteLength(last), Buffer.byteLength(leading)) - CLOSING.length;

  const groups: string[][] = [];
  let group: string[] = [];
  let used = 0;
  for (const doc of documents) {
    if (group.length > 0 && used + 1 + doc.bytes > room) {
      groups.push(group);
      group = [];
      used = 0;
    }
    used += doc.bytes + (group.length > 0 ? 1 : 0); // the comma before it
    group.push(doc.json);
  }
  groups.push(group);

  const id = String(head.seq);
  return groups.map((docs, i) => (i < groups.length - 1 ? { event: 'progress', data: leading + docs.join(',') + CLOSING } : { event, id, data: last + docs.join(',') + CLOSING }));
}

/** A delta's JSON up to its documents, so it reads exactly as JSON.stringify of the whole delta would. */
function opening(head: DeltaHead): string {
  const empty: BatchDelta = { batchId: head.batchId, status: head.status, seq: head.seq, workflowId: head.workflowId, documents: [] };
  return JSON.stringify(empty).slice(0, -CLOSING.length);
}
