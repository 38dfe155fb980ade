/**
 * Chunking, steps 3 and 4: packs atom ranges into chunk bodies within the budget (recursive
 * split-then-merge by break level) and picks each body's overlap with the previous one.
 */
import { LEVEL_INSIDE_WORD, LEVEL_SECTION, LEVEL_SENTENCE, LEVEL_WORD, type AtomStore } from './chunk-atoms.js';
import type { WorkMeter } from './work-meter.js';

/**
 * Splits atoms [lo, hi) at breaks of at least `level`, greedily merges consecutive pieces that fit
 * `budget`, and recurses one level lower into pieces that do not. Appends [start, end) pairs.
 */
export function pack(store: AtomStore, lo: number, hi: number, level: number, budget: number, out: number[], meter: WorkMeter): void {
  const pre = store.pre;
  const lv = store.level;
  if (level < LEVEL_INSIDE_WORD) {
    // Unreachable: every atom fits the budget by construction. Kept as a safe terminal case.
    for (let i = lo; i < hi; i++) out.push(i, i + 1);
    meter.steps += hi - lo;
    return;
  }
  let goodStart = -1;
  let goodCost = 0;
  let segStart = lo;
  for (let i = lo + 1; i <= hi; i++) {
    if (i < hi && lv[i] < level) continue;
    const c = pre[i] - pre[segStart];
    if (c <= budget) {
      if (goodStart >= 0 && goodCost + c <= budget) goodCost += c;
      else {
        if (goodStart >= 0) out.push(goodStart, segStart);
        goodStart = segStart;
        goodCost = c;
      }
    } else {
      if (goodStart >= 0) out.push(goodStart, segStart);
      goodStart = -1;
      goodCost = 0;
      pack(store, segStart, i, level - 1, budget, out, meter);
    }
    segStart = i;
  }
  if (goodStart >= 0) out.push(goodStart, hi);
  meter.steps += hi - lo;
}

/** Picks where the overlap for body [lo, ...) starts, walking back at most into the previous body. */
export function overlapStart(store: AtomStore, lo: number, prevLo: number, overlapTokens: number, meter: WorkMeter): number {
  const lv = store.level;
  if (overlapTokens <= 0 || lv[lo] >= LEVEL_SECTION) return lo;
  let sum = 0;
  let wordStart = lo;
  let wordCost = 0;
  let sentStart = -1;
  let sentCost = 0;
  let steps = 0;
  for (let j = lo - 1; j >= prevLo; j--) {
    steps++;
    sum += store.cost[j];
    if (sum > overlapTokens) break;
    if (lv[j] >= LEVEL_WORD) {
      wordStart = j;
      wordCost = sum;
      if (lv[j] >= LEVEL_SENTENCE) {
        sentStart = j;
        sentCost = sum;
      }
    }
    if (lv[j] >= LEVEL_SECTION) break;
  }
  meter.steps += steps;
  if (sentStart >= 0 && sentCost * 2 >= wordCost) return sentStart;
  return wordStart;
}
