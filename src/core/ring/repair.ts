import type { Placement } from "./placement.js";
import { reorderAround } from "./reorder.js";

/** Above this many clashing partitions only swaps are tried. */
const CLASHES_LOCAL_MAX = 64;

/**
 * Removes repeated owners inside windows without changing any member's count (so balance is
 * untouched). For each partition whose owner repeats within window - 1 of it: swap its owner with
 * another partition's so that neither clashes, or else re-order the owners of a short run around
 * it (reorder.ts). Every fix removes that clash and adds none, so the loop ends; it stops when a
 * full pass fixes nothing. Deterministic: the scan order is fixed.
 */
export function repairWindows(placement: Placement): void {
  if (placement.window <= 1) return;
  let improved = true;
  while (improved) {
    improved = false;
    const clashing = placement.clashingPartitions();
    // Re-ordering searches up to thousands of orders per clash. It is for the few clashes a small
    // ring's removal leaves; a ring with many clashes is better re-striped by the caller.
    const local = clashing.length <= CLASHES_LOCAL_MAX;
    for (const p of clashing) {
      if (placement.canOwn(p, placement.owners[p] as number)) continue;
      if (swapAway(placement, p) || (local && reorderAround(placement, p))) {
        improved = true;
      }
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
