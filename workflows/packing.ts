/**
 * How the shard fills its activities: documents into prepare groups bounded by count and bytes,
 * chunk ranges into index packs bounded by chunks. Pure, so it is unit tested on its own.
 */

/** Limits of one activity's worth of work. */
export interface Bounds {
  /** Items at most. */
  maxItems: number;
  /** Total weight at most (bytes, chunks), except that one item alone is always taken. */
  maxWeight: number;
}

/**
 * Removes and returns items from the front of `queue` while they fit `bounds`. The first item is
 * always taken, even when heavier than the bound: a large document or range goes on its own.
 */
export function takeBounded<T>(queue: T[], bounds: Bounds, weightOf: (item: T) => number): T[] {
  const taken: T[] = [];
  let weight = 0;
  while (queue.length > 0 && taken.length < bounds.maxItems) {
    const next = weightOf(queue[0]);
    if (taken.length > 0 && weight + next > bounds.maxWeight) break;
    taken.push(queue.shift()!);
    weight += next;
  }
  return taken;
}

/** The stored chunk groups of a document with `chunkCount` chunks, as [start, end) ranges. */
export function chunkRanges(chunkCount: number, groupSize: number): { start: number; end: number }[] {
  const ranges: { start: number; end: number }[] = [];
  for (let start = 0; start < chunkCount; start += groupSize) ranges.push({ start, end: Math.min(chunkCount, start + groupSize) });
  return ranges;
}

/** Backoff before attempt `attempt + 1`: doubling from the initial delay, capped. */
export function retryDelayMs(policy: { initialDelayMs: number; maxDelayMs: number }, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
}
