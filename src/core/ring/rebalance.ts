import { takeThroughEjection } from "./ejection.js";
import { FlowNetwork } from "./max-flow.js";
import { type Placement, UNASSIGNED } from "./placement.js";
import { balancedTargets } from "./targets.js";

/** Ejection chains one rebalance may use; past that, forcing and the caller's re-stripe are cheaper. */
const EJECTIONS_MAX = 64;

/**
 * Moves partitions until every member owns exactly its target, moving as few as it can and
 * never creating a repeated owner inside a window while a move that avoids it exists:
 *
 * 1. Orphans (partitions of members that left) go to members below target as a maximum flow,
 *    so an orphan moves once and one bad early choice cannot strand a later orphan. Targets
 *    (targets.ts) are then fixed from what members hold.
 * 2. Members still below target take partitions from members above target, scanning first the
 *    partitions that sit in a repeated window (taking one of them removes the repeat) and then the
 *    ring in order, taking the first partition they can own without a repeat.
 * 3. A member that finds none takes one through a chain: it takes a partition from a member at
 *    target, which takes one from another, ... until a member above target (or an orphan) gives
 *    one. Each chain moves one partition more per intermediate member.
 * 4. If no chain of members exists, the gap itself moves (ejection.ts): a member next to a spare
 *    partition shifts onto it, and the partition it leaves is the new gap, until a member below
 *    target can own the gap.
 * 5. Whatever is still unbalanced is assigned where it adds the fewest repeated windows; the
 *    caller then repairs or re-stripes.
 */
export function rebalance(placement: Placement): void {
  placeOrphans(placement);
  const targets = balancedTargets(placement.counts, placement.partitions);
  takeFromAboveTarget(placement, targets);
  takeThroughChains(placement, targets);
  const spare = (p: number): boolean => isSpare(placement, targets, p);
  const belowTarget = (m: number): boolean => deficit(placement, targets, m) > 0;
  // Each ejection fills one missing partition; each costs O(Q * S * n), hence the bound.
  for (let i = 0; i < EJECTIONS_MAX && membersBelowTarget(placement, targets).length > 0; i++) {
    if (!takeThroughEjection(placement, spare, belowTarget)) break;
  }
  forceRemaining(placement, targets);
  assertBalanced(placement, targets);
}

function deficit(placement: Placement, targets: Int32Array, member: number): number {
  return (targets[member] as number) - (placement.counts[member] as number);
}

/** A partition can be given away when it is an orphan or its owner is above target. */
function isSpare(placement: Placement, targets: Int32Array, partition: number): boolean {
  const owner = placement.owners[partition] as number;
  return owner === UNASSIGNED || (placement.counts[owner] as number) > (targets[owner] as number);
}

function membersBelowTarget(placement: Placement, targets: Int32Array): number[] {
  const below: number[] = [];
  for (let m = 0; m < targets.length; m++) if (deficit(placement, targets, m) > 0) below.push(m);
  return below.sort((a, b) => deficit(placement, targets, b) - deficit(placement, targets, a) || a - b);
}

/**
 * Gives orphans to members as a maximum flow: source -> orphan -> member it may go to -> sink.
 * A member below floor(Q/S) must get up to floor(Q/S); the Q mod S "+1" slots that members
 * keeping more than floor(Q/S) do not already use are shared through one pool node, so the flow
 * also decides which members get them, instead of fixing that up front by id and finding the
 * chosen member sits next to every orphan (in a striped ring a removed node's successor usually
 * is the same node at every one of its partitions).
 */
function placeOrphans(placement: Placement): void {
  const orphans: number[] = [];
  for (let p = 0; p < placement.partitions; p++) if (placement.owners[p] === UNASSIGNED) orphans.push(p);
  if (orphans.length === 0) return;
  const members = placement.counts.length;
  const base = Math.floor(placement.partitions / members);
  let extraFree = placement.partitions % members;
  for (let m = 0; m < members; m++) if ((placement.counts[m] as number) > base) extraFree--;
  const source = 0;
  const sink = 1;
  const pool = 2;
  const memberNode = (m: number): number => 3 + m;
  const orphanNode = (i: number): number => 3 + members + i;
  const flow = new FlowNetwork(3 + members + orphans.length);
  for (let m = 0; m < members; m++) {
    const count = placement.counts[m] as number;
    if (count < base) flow.addEdge(memberNode(m), sink, base - count);
    if (count <= base) flow.addEdge(memberNode(m), pool, 1);
  }
  if (extraFree > 0) flow.addEdge(pool, sink, extraFree);
  const edges: { orphan: number; member: number; edge: number }[] = [];
  orphans.forEach((p, i) => {
    flow.addEdge(source, orphanNode(i), 1);
    for (let m = 0; m < members; m++) {
      if ((placement.counts[m] as number) > base || !placement.canOwn(p, m)) continue;
      edges.push({ orphan: p, member: m, edge: flow.addEdge(orphanNode(i), memberNode(m), 1) });
    }
  });
  flow.maxFlow(source, sink);
  for (const { orphan, member, edge } of edges) {
    // The flow checked each orphan against the ring, not against other orphans given to the same
    // member; recheck against the ring as it now is and leave a clash to the later steps.
    if (flow.flowOn(edge) > 0 && placement.canOwn(orphan, member)) placement.assign(orphan, member);
  }
}

function takeFromAboveTarget(placement: Placement, targets: Int32Array): void {
  const clashing = placement.clashingPartitions();
  const take = (member: number, p: number): void => {
    if (placement.owners[p] === member || !isSpare(placement, targets, p)) return;
    if (placement.canOwn(p, member)) placement.assign(p, member);
  };
  for (const member of membersBelowTarget(placement, targets)) {
    for (let i = 0; i < clashing.length && deficit(placement, targets, member) > 0; i++)
      take(member, clashing[i] as number);
    for (let p = 0; p < placement.partitions && deficit(placement, targets, member) > 0; p++) take(member, p);
  }
}

function takeThroughChains(placement: Placement, targets: Int32Array): void {
  let progress = true;
  while (progress) {
    progress = false;
    for (const member of membersBelowTarget(placement, targets)) {
      if (takeOneThroughChain(placement, targets, member)) progress = true;
    }
  }
}

/**
 * Breadth-first search over members: `gives.get(b) = [a, p]` means b gives partition p to a.
 * The first spare partition reached ends the chain; applying it moves one partition per link and
 * never creates a repeat, because each member on the chain receives exactly one partition, which
 * it could own before it gave its own away.
 */
function takeOneThroughChain(placement: Placement, targets: Int32Array, taker: number): boolean {
  const gives = new Map<number, [number, number]>();
  const queue = [taker];
  const visited = new Set([taker]);
  for (let head = 0; head < queue.length; head++) {
    const receiver = queue[head] as number;
    for (let p = 0; p < placement.partitions; p++) {
      const owner = placement.owners[p] as number;
      if (owner === receiver || !placement.canOwn(p, receiver)) continue;
      if (isSpare(placement, targets, p)) {
        let link: [number, number] = [receiver, p];
        for (;;) {
          placement.assign(link[1], link[0]);
          if (link[0] === taker) return true;
          link = gives.get(link[0]) as [number, number];
        }
      }
      if (visited.has(owner)) continue;
      visited.add(owner);
      gives.set(owner, [receiver, p]);
      queue.push(owner);
    }
  }
  return false;
}

function forceRemaining(placement: Placement, targets: Int32Array): void {
  for (const member of membersBelowTarget(placement, targets)) {
    while (deficit(placement, targets, member) > 0) {
      // Every spare partition would clash: take the one where the member clashes least.
      let best = UNASSIGNED;
      let bestClashes = Number.POSITIVE_INFINITY;
      for (let p = 0; p < placement.partitions; p++) {
        if (placement.owners[p] === member || !isSpare(placement, targets, p)) continue;
        const clashes = placement.nearbyCount(p, member);
        if (clashes < bestClashes) {
          best = p;
          bestClashes = clashes;
        }
      }
      if (best === UNASSIGNED) throw new Error(`no spare partition for member ${member}`);
      placement.assign(best, member);
    }
  }
}

function assertBalanced(placement: Placement, targets: Int32Array): void {
  for (let m = 0; m < targets.length; m++) {
    if (placement.counts[m] !== targets[m]) {
      throw new Error(`member ${m} owns ${placement.counts[m]} partitions, its target is ${targets[m]}`);
    }
  }
  for (const owner of placement.owners) if (owner === UNASSIGNED) throw new Error("a partition has no owner");
}
