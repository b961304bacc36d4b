/** How far below floor(L/n) a zone's collapsed entries may be held when the densest fails. */
const SLACK_MAX = 2;

/**
 * A fresh zone-aware layout: owners (member indexes) for Q partitions such that every
 * partition's n home replicas are in n distinct zones, each zone owning exactly its target.
 *
 * Construction. The ring is a "collapsed" cyclic sequence of zone occurrences of length L, in
 * which every n consecutive entries are distinct zones, expanded to Q partitions by repeating
 * some occurrences ("doubles": the same node owns two or more adjacent partitions). The
 * preference list skips a node it has already seen, so the home replicas of any partition are n
 * consecutive entries of the collapsed sequence: distinct zones. Doubles are what makes
 * Q = 2^k work over exactly n = 3 zones, where no sequence of Q entries can have every window
 * distinct. A zone can hold at most floor(L/n) collapsed entries; the smallest number of doubles
 * D = Q - L that lets every zone reach its target is tried first, then D + 1, ... The collapsed
 * sequence is laid greedily (among the zones that do not repeat within n - 1 on either side, earliest deadline first: a zone whose remaining entries must start soonest to fit before the ring wraps back to its first entry goes first.
 * Within a zone, nodes own floor or ceil of the zone's share.
 */
export function zoneLayout(
  zoneTargets: readonly number[],
  nodesOfZone: readonly (readonly number[])[],
  partitions: number,
  n: number,
): Int32Array | undefined {
  // Several zones at exactly the densest spacing leave the greedy no room: allow a little slack
  // below floor(L/n) before giving up (each try is O(L * zones * n)).
  for (let slack = 0; slack <= SLACK_MAX; slack++) {
    for (let doubles = 0; doubles < partitions; doubles++) {
      const collapsed = collapsedCounts(zoneTargets, nodesOfZone, partitions, n, doubles, slack);
      if (collapsed === undefined) continue;
      const sequence = spacedSequence(collapsed, n, true) ?? spacedSequence(collapsed, n, false);
      if (sequence === undefined) continue;
      return expand(sequence, collapsed, zoneTargets, nodesOfZone, partitions);
    }
  }
  return undefined;
}

function collapsedCounts(
  zoneTargets: readonly number[],
  nodesOfZone: readonly (readonly number[])[],
  partitions: number,
  n: number,
  doubles: number,
  slack: number,
): number[] | undefined {
  const perZoneMax = Math.floor((partitions - doubles) / n) - slack;
  const counts = zoneTargets.map((t) => Math.min(t, perZoneMax));
  let needed = zoneTargets.reduce((sum, t, k) => sum + t - (counts[k] as number), 0);
  if (needed > doubles) return undefined;
  // More doubles than the caps force: take them from the zones with the most entries.
  while (needed < doubles) {
    let best = -1;
    for (let k = 0; k < counts.length; k++) {
      const spare = (counts[k] as number) - (nodesOfZone[k] as readonly number[]).length;
      if (spare > 0 && (best < 0 || (counts[k] as number) > (counts[best] as number))) best = k;
    }
    if (best < 0) return undefined;
    counts[best] = (counts[best] as number) - 1;
    needed++;
  }
  for (let k = 0; k < counts.length; k++) {
    if ((counts[k] as number) < (nodesOfZone[k] as readonly number[]).length) return undefined;
  }
  return counts;
}

/** A cyclic sequence with `counts[k]` entries of zone k and no zone twice within n - 1. */
function spacedSequence(counts: readonly number[], n: number, byDeadline: boolean): Int32Array | undefined {
  const length = counts.reduce((sum, c) => sum + c, 0);
  const left = counts.slice();
  const sequence = new Int32Array(length).fill(-1);
  // Earliest deadline first: a zone's last entry must stay n before its first one (the ring
  // wraps), so each zone has a latest position for its next entry; the allowed zone with the
  // least slack goes next, ties to the one with most entries left, then the lower index.
  const firstAt = new Array<number>(counts.length).fill(-1);
  const lastAt = new Array<number>(counts.length).fill(-1);
  const slack = (k: number, i: number): number => {
    const lastAllowed = (firstAt[k] as number) >= 0 ? (firstAt[k] as number) + length - n : length - 1;
    return lastAllowed - ((left[k] as number) - 1) * n - i;
  };
  for (let i = 0; i < length; i++) {
    let best = -1;
    for (let k = 0; k < left.length; k++) {
      if ((left[k] as number) === 0 || nearby(sequence, i, k, n)) continue;
      if (best < 0) {
        best = k;
        continue;
      }
      // Without deadlines (the second try): most entries left first, the longest waiting on ties.
      const d = byDeadline
        ? slack(k, i) - slack(best, i)
        : (left[best] as number) - (left[k] as number) || (lastAt[k] as number) - (lastAt[best] as number);
      if (d < 0 || (d === 0 && (left[k] as number) > (left[best] as number))) best = k;
    }
    if (best < 0) return undefined;
    sequence[i] = best;
    if ((firstAt[best] as number) < 0) firstAt[best] = i;
    lastAt[best] = i;
    left[best] = (left[best] as number) - 1;
  }
  return sequence;
}

function nearby(sequence: Int32Array, i: number, zone: number, n: number): boolean {
  const length = sequence.length;
  for (let d = 1; d < n; d++) {
    if (sequence[(i - d + length) % length] === zone || sequence[(i + d) % length] === zone) return true;
  }
  return false;
}

function expand(
  sequence: Int32Array,
  collapsed: readonly number[],
  zoneTargets: readonly number[],
  nodesOfZone: readonly (readonly number[])[],
  partitions: number,
): Int32Array {
  const weight = new Int32Array(sequence.length).fill(1);
  const nodeAt = new Int32Array(sequence.length);
  for (let zone = 0; zone < collapsed.length; zone++) {
    const occurrences: number[] = [];
    sequence.forEach((z, i) => {
      if (z === zone) occurrences.push(i);
    });
    // Occurrences go round robin to the zone's nodes (node j gets floor or ceil of c/k, the
    // larger counts first), then each node's total is floor or ceil of the zone's target (again
    // the larger first, so a total is never below the node's occurrences) and its extra
    // partitions are spread evenly over its own occurrences as doubles.
    const nodes = nodesOfZone[zone] as readonly number[];
    const k = nodes.length;
    const target = zoneTargets[zone] as number;
    const mine: number[][] = nodes.map(() => []);
    occurrences.forEach((i, j) => {
      (mine[j % k] as number[]).push(i);
    });
    mine.forEach((list, j) => {
      const total = Math.floor(target / k) + (j < target % k ? 1 : 0);
      const extra = total - list.length;
      list.forEach((i, x) => {
        nodeAt[i] = nodes[j] as number;
        weight[i] = 1 + Math.floor(((x + 1) * extra) / list.length) - Math.floor((x * extra) / list.length);
      });
    });
  }
  const owners = new Int32Array(partitions);
  let p = 0;
  sequence.forEach((_, i) => {
    for (let w = 0; w < (weight[i] as number); w++) owners[p++] = nodeAt[i] as number;
  });
  if (p !== partitions) throw new Error(`zone layout filled ${p} of ${partitions} partitions`);
  return owners;
}
