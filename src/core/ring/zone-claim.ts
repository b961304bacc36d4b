import { maxWeightAssignment } from "./assignment.js";
import { UNASSIGNED } from "./placement.js";
import { zoneLayout } from "./zone-layout.js";
import { nodeTargets, zoneTargets } from "./zone-targets.js";

/**
 * The zone-aware claim, on member indexes: `zoneOfMember[m]` is member m's zone index (0..Z-1),
 * `previous` the current owners as member indexes (UNASSIGNED where the owner left), or
 * undefined when the cluster is created. Returns owners such that every partition's n home
 * replicas are in n distinct zones, or undefined when the zones cannot give that with every
 * member owning a partition (the caller then claims without zones). See docs/ring.md.
 *
 * Two candidates, the one moving fewer partitions wins (ties: the first):
 * 1. keep and fill: keep each previous owner that is within its target and whose zone does not
 *    repeat within n - 1 partitions of a kept one, then give every other partition to the member
 *    furthest below target whose zone does not repeat near it;
 * 2. a fresh layout (zone-layout.ts) whose nodes are relabelled within each zone so that as
 *    many partitions as possible keep their owner (an exact assignment).
 */
export function zoneClaim(
  previous: Int32Array | undefined,
  zoneOfMember: Int32Array,
  partitions: number,
  n: number,
): Int32Array | undefined {
  const zones = Math.max(...zoneOfMember) + 1;
  const nodesOfZone: number[][] = Array.from({ length: zones }, () => []);
  zoneOfMember.forEach((z, m) => {
    (nodesOfZone[z] as number[]).push(m);
  });
  const zt = zoneTargets(
    nodesOfZone.map((nodes) => nodes.length),
    partitions,
    n,
  );
  if (zt === undefined) return undefined;
  const kept = new Array<number>(zoneOfMember.length).fill(0);
  if (previous !== undefined)
    for (const m of previous) if (m !== UNASSIGNED) kept[m] = (kept[m] as number) + 1;
  const targets = new Int32Array(zoneOfMember.length);
  nodesOfZone.forEach((nodes, z) => {
    const split = nodeTargets(
      zt[z] as number,
      nodes.map((m) => kept[m] as number),
    );
    nodes.forEach((m, i) => {
      targets[m] = split[i] as number;
    });
  });
  const candidates: Int32Array[] = [];
  if (previous !== undefined) {
    const filled = keepAndFill(previous, zoneOfMember, targets, n);
    if (filled !== undefined && homeZonesDistinct(filled, zoneOfMember, n)) candidates.push(filled);
  }
  const fresh = zoneLayout(zt, nodesOfZone, partitions, n);
  if (fresh !== undefined && homeZonesDistinct(fresh, zoneOfMember, n)) {
    candidates.push(previous === undefined ? fresh : relabel(fresh, previous, nodesOfZone));
  }
  if (previous === undefined) return candidates[0];
  let best: Int32Array | undefined;
  let bestMoves = Number.POSITIVE_INFINITY;
  for (const owners of candidates) {
    const moves = owners.reduce((sum, m, p) => sum + (m === previous[p] ? 0 : 1), 0);
    if (moves < bestMoves) {
      best = owners;
      bestMoves = moves;
    }
  }
  return best;
}

function keepAndFill(
  previous: Int32Array,
  zoneOfMember: Int32Array,
  targets: Int32Array,
  n: number,
): Int32Array | undefined {
  const partitions = previous.length;
  const owners = previous.slice();
  const counts = new Int32Array(targets.length);
  const fits = (p: number, m: number): boolean =>
    !runsNear(owners, p, m, -1, zoneOfMember, n) && !runsNear(owners, p, m, 1, zoneOfMember, n);
  // Keep every previous owner whose zone does not repeat near a partition kept before it.
  for (let p = 0; p < partitions; p++) {
    const m = owners[p] as number;
    if (m === UNASSIGNED) continue;
    owners[p] = UNASSIGNED;
    if (!fits(p, m)) continue;
    owners[p] = m;
    counts[m] = (counts[m] as number) + 1;
  }
  const deficit = (m: number): number => (targets[m] as number) - (counts[m] as number);
  const spare = (p: number): boolean => {
    const owner = owners[p] as number;
    return owner === UNASSIGNED || deficit(owner) < 0;
  };
  // Members below target take orphans first, then partitions of members above target, each
  // where their zone fits; every pass that moves nothing ends the loop.
  let progress = true;
  while (progress) {
    progress = false;
    const below = Array.from(targets, (_, m) => m)
      .filter((m) => deficit(m) > 0)
      .sort((a, b) => deficit(b) - deficit(a) || a - b);
    for (const m of below) {
      for (const orphansOnly of [true, false]) {
        for (let p = 0; p < partitions && deficit(m) > 0; p++) {
          const owner = owners[p] as number;
          if (owner === m || !spare(p) || (orphansOnly && owner !== UNASSIGNED)) continue;
          owners[p] = UNASSIGNED;
          if (fits(p, m)) {
            owners[p] = m;
            counts[m] = (counts[m] as number) + 1;
            if (owner !== UNASSIGNED) counts[owner] = (counts[owner] as number) - 1;
            progress = true;
          } else owners[p] = owner;
        }
      }
    }
  }
  for (let m = 0; m < targets.length; m++) if (deficit(m) !== 0) return undefined;
  return owners;
}

/**
 * Whether member m at partition p would share a zone with one of the n - 1 home-replica
 * neighbours on one side (`direction` -1 or 1). Neighbours are runs: adjacent partitions of one
 * owner are one entry of the preference list, and a run of m itself next to p is skipped, since
 * p then joins it (a double). An unassigned partition counts as one entry of no zone; the caller
 * checks the finished ring, so this only has to be right for assigned neighbours.
 */
function runsNear(
  owners: Int32Array,
  p: number,
  m: number,
  direction: number,
  zoneOfMember: Int32Array,
  n: number,
): boolean {
  const partitions = owners.length;
  const zone = zoneOfMember[m] as number;
  let i = p;
  let steps = 1;
  const at = (k: number): number =>
    owners[(((k % partitions) + partitions) % partitions) as number] as number;
  while (steps < partitions && at(i + direction) === m) {
    i += direction;
    steps++;
  }
  let entries = 0;
  let last = UNASSIGNED - 1;
  while (entries < n - 1 && steps < partitions) {
    i += direction;
    steps++;
    const owner = at(i);
    if (owner !== UNASSIGNED && owner === last) continue;
    last = owner;
    entries++;
    if (owner !== UNASSIGNED && zoneOfMember[owner] === zone) return true;
  }
  return false;
}

/** Relabels a layout's nodes within each zone to keep as many previous owners as possible. */
function relabel(
  layout: Int32Array,
  previous: Int32Array,
  nodesOfZone: readonly (readonly number[])[],
): Int32Array {
  const result = layout.slice();
  for (const nodes of nodesOfZone) {
    const indexOf = new Map(nodes.map((m, i) => [m, i]));
    const overlap = nodes.map(() => new Array<number>(nodes.length).fill(0));
    layout.forEach((slot, p) => {
      const s = indexOf.get(slot);
      const member = indexOf.get(previous[p] as number);
      if (s === undefined || member === undefined) return;
      const row = overlap[s] as number[];
      row[member] = (row[member] as number) + 1;
    });
    const memberOfSlot = maxWeightAssignment(overlap);
    layout.forEach((slot, p) => {
      const s = indexOf.get(slot);
      if (s !== undefined) result[p] = nodes[memberOfSlot[s] as number] as number;
    });
  }
  return result;
}

/** Whether every partition's n home replicas (distinct owners walking the ring) are in n zones. */
export function homeZonesDistinct(owners: Int32Array, zoneOfMember: Int32Array, n: number): boolean {
  const partitions = owners.length;
  for (let p = 0; p < partitions; p++) {
    const seen = new Set<number>();
    const zones = new Set<number>();
    for (let step = 0; step < partitions && seen.size < n; step++) {
      const m = owners[(p + step) % partitions] as number;
      if (seen.has(m)) continue;
      seen.add(m);
      const z = zoneOfMember[m] as number;
      if (zones.has(z)) return false;
      zones.add(z);
    }
  }
  return true;
}
