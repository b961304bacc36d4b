import type { Placement } from "./placement.js";
import { reorderAround } from "./reorder.js";

/**
 * A ring with more clashes than this after rebalancing (a previous ring from fewer than n
 * members, say) is not repaired clash by clash: the caller re-stripes it.
 */
const CLASHES_REPAIRED_MAX = 64;
/** Search steps all re-orderings of one repair may take together, so a hopeless case is cheap. */
const REORDER_STEPS_MAX = 100_000;

/**
 * Removes repeated owners inside windows without changing any member's count (so balance is
 * untouched). For each partition whose owner repeats within window - 1 of it: swap its owner with
 * another partition's so that neither clashes, or else re-order the owners of a short run around
 * it (reorder.ts). Every fix removes that clash and adds none, so the loop ends; it stops when a
 * full pass fixes nothing. Deterministic: the scan order and the work bounds are fixed.
 */
export function repairWindows(placement: Placement): void {
  if (placement.window <= 1 || placement.clashingPartitions().length > CLASHES_REPAIRED_MAX) return;
  const budget = { steps: REORDER_STEPS_MAX };
  let improved = true;
  while (improved) {
    improved = false;
    for (const p of placement.clashingPartitions()) {
      if (placement.canOwn(p, placement.owners[p] as number)) continue;
      if (swapAway(placement, p) || reorderAround(placement, p, budget)) improved = true;
    }
  }
}

/**
 * Finds a partner k for the clashing partition p such that, after swapping their owners, neither
 * partition clashes: p's new owner is not within window - 1 of p and k's new owner is not within
 * window - 1 of k.
 */
function swapAway(placement: Placement, p: number): boolean {
  const a = placement.owners[p] as number;
  for (let step = 1; step < placement.partitions; step++) {
    const k = (p + step) % placement.partitions;
    const b = placement.owners[k] as number;
    if (b === a) continue;
    placement.owners[p] = b;
    placement.owners[k] = a;
    if (placement.canOwn(p, b) && placement.canOwn(k, a)) return true;
    placement.owners[p] = a;
    placement.owners[k] = b;
  }
  return false;
}
