/**
 * Fault injection into index packs for integration tests: chosen ranges fail as if the endpoint
 * or the store had refused them, either before any real work (nothing written) or after it
 * (points written, then the step reported failed). The other ranges go through the real activity.
 */
import type { IndexActivities, IndexedRange, IndexInput, IndexItem, IndexOutput, StepFailure } from '../activities/contracts.js';

/** When an injected failure happens relative to the real embed and upsert. */
export type FaultTiming = 'before-work' | 'after-work';

/** Runs `input` through `real`, except that ranges `fault` picks end with the failure it returns. */
export async function indexWithFaults(real: IndexActivities, input: IndexInput, fault: (item: IndexItem) => StepFailure | null, timing: FaultTiming): Promise<IndexOutput> {
  const failures = new Map(input.items.map((item) => [item, fault(item)]));
  const toRun = timing === 'after-work' ? input.items : input.items.filter((item) => !failures.get(item));
  const ran = toRun.length > 0 ? (await real.indexChunks({ ...input, items: toRun })).items : [];
  const results = new Map(toRun.map((item, i) => [item, ran[i]]));
  return {
    items: input.items.map((item): IndexedRange => {
      const failure = failures.get(item);
      return failure ? { documentId: item.documentId, start: item.start, ok: false, failure } : results.get(item)!;
    }),
  };
}
