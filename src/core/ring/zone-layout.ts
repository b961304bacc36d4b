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
 * sequence is laid greedily (the zone with most entries left that does not repeat within n - 1
 * on either side, wrapping around), which is the classic schedule for spaced repeats.
 * Within a zone, occurrences go to the zone's nodes heaviest first, each to the least loaded
 * node, so a zone's nodes differ by at most one partition as long as doubles are not piled up.
 */
export function zoneLayout(
  zoneTargets: readonly number[],
  nodesOfZone: readonly (readonly number[])[],
  partitions: number,
  n: number,
): Int32Array | undefined {
  for (let doubles = 0; doubles < partitions; doubles++) {
    const collapsed = collapsedCounts(zoneTargets, nodesOfZone, partitions, n, doubles);
    if (collapsed === undefined) continue;
    const sequence = spacedSequence(collapsed, n);
    if (sequence === undefined) continue;
    return expand(sequence, collapsed, zoneTargets, nodesOfZone, partitions);
  }
  return undefined;
}

function collapsedCounts(
  zoneTargets: readonly number[],
  nodesOfZone: readonly (readonly number[])[],
  partitions: number,
  n: number,
  doubles: number,
): number[] | undefined {
  const perZoneMax = Math.floor((partitions - doubles) / n);
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
function spacedSequence(counts: readonly number[], n: number): Int32Array | undefined {
  const length = counts.reduce((sum, c) => sum + c, 0);
  const left = counts.slice();
  const sequence = new Int32Array(length).fill(-1);
  for (let i = 0; i < length; i++) {
    let best = -1;
    for (let k = 0; k < left.length; k++) {
      if ((left[k] as number) === 0 || (best >= 0 && (left[k] as number) <= (left[best] as number))) continue;
      if (nearby(sequence, i, k, n)) continue;
      best = k;
    }
    if (best < 0) return undefined;
    sequence[i] = best;
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
    const c = occurrences.length;
    const extra = (zoneTargets[zone] as number) - c;
    // Spread the zone's doubles evenly over its occurrences.
    occurrences.forEach((i, j) => {
      weight[i] = 1 + Math.floor(((j + 1) * extra) / c) - Math.floor((j * extra) / c);
    });
    const nodes = nodesOfZone[zone] as readonly number[];
    const load = new Array<number>(nodes.length).fill(0);
    const heaviestFirst = [...occurrences].sort(
      (a, b) => (weight[b] as number) - (weight[a] as number) || a - b,
    );
    for (const i of heaviestFirst) {
      let least = 0;
      for (let j = 1; j < nodes.length; j++) if ((load[j] as number) < (load[least] as number)) least = j;
      load[least] = (load[least] as number) + (weight[i] as number);
      nodeAt[i] = nodes[least] as number;
    }
  }
  const owners = new Int32Array(partitions);
  let p = 0;
  sequence.forEach((_, i) => {
    for (let w = 0; w < (weight[i] as number); w++) owners[p++] = nodeAt[i] as number;
  });
  if (p !== partitions) throw new Error(`zone layout filled ${p} of ${partitions} partitions`);
  return owners;
}
