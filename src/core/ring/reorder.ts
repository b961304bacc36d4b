import type { Placement } from "./placement.js";

/** Longest run of partitions the search reorders; the search is exponential in it. */
const SEGMENT_PARTITIONS_MAX = 12;
/** Search steps allowed per run length, so one hopeless length does not use the whole budget. */
const SEARCH_STEPS_PER_LENGTH_MAX = 20_000;

/**
 * Repairs a clash at partition p by re-ordering the owners of a short run of partitions around
 * it: the run keeps exactly the same owners (so every member's count is unchanged), and among
 * the orders in which no window touching the run repeats an owner, the one changing the fewest
 * entries is applied. Runs grow from window + 1 partitions up to SEGMENT_PARTITIONS_MAX; in a
 * small ring (where most members are near every partition) this finds fixes that a single swap
 * cannot. Depth-first search with branch and bound, within `budget` steps (shared by the
 * caller across clashes); returns false when no run works.
 */
export function reorderAround(placement: Placement, p: number, budget: { steps: number }): boolean {
  for (let length = placement.window + 1; length <= SEGMENT_PARTITIONS_MAX; length++) {
    if (length > placement.partitions - 2 * (placement.window - 1) || budget.steps <= 0) return false;
    const best = bestOrder(placement, p - Math.floor(length / 2), length, budget);
    if (best === undefined) continue;
    best.forEach((owner, i) => {
      placement.owners[placement.wrap(p - Math.floor(length / 2) + i)] = owner;
    });
    return true;
  }
  return false;
}

function bestOrder(
  placement: Placement,
  start: number,
  length: number,
  budget: { steps: number },
): number[] | undefined {
  const window = placement.window;
  const current = Array.from({ length }, (_, i) => placement.ownerAt(start + i));
  const remaining = new Map<number, number>();
  for (const owner of current) remaining.set(owner, (remaining.get(owner) ?? 0) + 1);
  const candidates = [...remaining.keys()].sort((a, b) => a - b);
  const chosen: number[] = [];
  let best: number[] | undefined;
  let bestChanges = Number.POSITIVE_INFINITY;
  let steps = Math.min(SEARCH_STEPS_PER_LENGTH_MAX, budget.steps);
  // Owner at offset i relative to the run: chosen inside it, the ring outside it.
  const ownerAt = (i: number): number =>
    i >= 0 && i < chosen.length ? (chosen[i] as number) : placement.ownerAt(start + i);
  const fits = (i: number, owner: number): boolean => {
    for (let d = 1; d < window; d++) if (ownerAt(i - d) === owner) return false;
    // The last window - 1 entries must also differ from the fixed owners just after the run.
    for (let j = length; j < i + window && j < length + window - 1; j++) {
      if (placement.ownerAt(start + j) === owner) return false;
    }
    return true;
  };
  const search = (i: number, changes: number): void => {
    if (steps-- <= 0 || changes >= bestChanges) return;
    budget.steps--;
    if (i === length) {
      best = chosen.slice();
      bestChanges = changes;
      return;
    }
    // Try the current owner first: the cheapest orders are found early and bound the rest.
    const order = [current[i] as number, ...candidates.filter((c) => c !== current[i])];
    for (const owner of order) {
      const left = remaining.get(owner) ?? 0;
      if (left === 0 || !fits(i, owner)) continue;
      remaining.set(owner, left - 1);
      chosen.push(owner);
      search(i + 1, changes + (owner === current[i] ? 0 : 1));
      chosen.pop();
      remaining.set(owner, left);
    }
  };
  search(0, 0);
  return best;
}
