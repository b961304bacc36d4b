import { type Placement, UNASSIGNED } from "./placement.js";

/**
 * Fills a member's shortfall when no spare partition is one it can own, by moving the gap
 * instead: a spare partition h (an orphan, or one its over-target owner may give away) is taken
 * by a member m whose only nearby partition is q (within window - 1 of h); m moves from q to h,
 * which leaves q as the gap, and so on until a member below target can own the gap. In a small
 * ring (n < S < 2n - 1) an orphan can have every remaining member within n - 1 of it, and this
 * is the cheapest way around that: each hop moves one more partition and no count changes
 * except the last. Breadth-first over gap positions, so the chain found is a shortest one.
 * Returns false when there is none, or when that chain no longer fits once applied (see below).
 */
export function takeThroughEjection(
  placement: Placement,
  isSpare: (partition: number) => boolean,
  isBelowTarget: (member: number) => boolean,
): boolean {
  const q = placement.partitions;
  const members = placement.counts.length;
  // cameFrom[g] = the gap before g on the chain (or -2 for a starting spare); mover[g] = the
  // member that leaves g to fill that earlier gap.
  const cameFrom = new Int32Array(q).fill(UNASSIGNED);
  const mover = new Int32Array(q).fill(UNASSIGNED);
  const queue: number[] = [];
  for (let p = 0; p < q; p++) {
    if (isSpare(p)) {
      cameFrom[p] = -2;
      queue.push(p);
    }
  }
  for (let head = 0; head < queue.length; head++) {
    const gap = queue[head] as number;
    const gapOwner = placement.owners[gap] as number;
    for (let m = 0; m < members; m++) {
      if (m === gapOwner) continue;
      const nearby = placement.nearbyCount(gap, m);
      if (nearby === 0 && isBelowTarget(m)) return applyChain(placement, gap, m, cameFrom, mover);
      if (nearby !== 1) continue;
      const from = onlyNearby(placement, gap, m);
      if (cameFrom[from] !== UNASSIGNED) continue;
      cameFrom[from] = gap;
      mover[from] = m;
      queue.push(from);
    }
  }
  return false;
}

function onlyNearby(placement: Placement, partition: number, member: number): number {
  for (let d = 1; d < placement.window; d++) {
    if (placement.ownerAt(partition + d) === member) return placement.wrap(partition + d);
    if (placement.ownerAt(partition - d) === member) return placement.wrap(partition - d);
  }
  throw new Error(`member ${member} owns nothing near partition ${partition}`);
}

/**
 * Applies the chain ending with `taker` filling `lastGap`, from that end back to the starting
 * spare. The search looked at the ring before any hop; hops close together can interfere, so each
 * is rechecked as applied and the whole chain is undone if one no longer fits.
 */
function applyChain(
  placement: Placement,
  lastGap: number,
  taker: number,
  cameFrom: Int32Array,
  mover: Int32Array,
): boolean {
  const undo: [number, number][] = [];
  let gap = lastGap;
  let member = taker;
  for (;;) {
    undo.push([gap, placement.owners[gap] as number]);
    placement.owners[gap] = UNASSIGNED;
    if (!placement.canOwn(gap, member)) break;
    placement.owners[gap] = member;
    const before = cameFrom[gap] as number;
    if (before === -2) {
      recount(placement, undo);
      return true;
    }
    member = mover[gap] as number;
    gap = before;
  }
  for (let i = undo.length - 1; i >= 0; i--) {
    const [p, owner] = undo[i] as [number, number];
    placement.owners[p] = owner;
  }
  return false;
}

function recount(placement: Placement, changed: readonly [number, number][]): void {
  for (const [p, previousOwner] of changed) {
    if (previousOwner !== UNASSIGNED)
      placement.counts[previousOwner] = (placement.counts[previousOwner] as number) - 1;
    const owner = placement.owners[p] as number;
    placement.counts[owner] = (placement.counts[owner] as number) + 1;
  }
}
