/**
 * How many partitions each zone owns in a zone-aware ring. A zone can be a home replica of a
 * partition at most once, so it cannot usefully own more than ceil(Q/N) of the Q partitions;
 * within that cap each zone's share follows its node count (water filling: zones whose
 * proportional share passes the cap are held at the cap and the rest is shared out again among
 * the others). Integer shares use the largest remainder, ties to the lower zone index, so the
 * result is deterministic. Returns undefined when the caps cannot cover Q or a zone would own
 * fewer partitions than it has nodes (every member must own at least one partition).
 */
export function zoneTargets(
  nodesPerZone: readonly number[],
  partitions: number,
  n: number,
): number[] | undefined {
  const cap = Math.ceil(partitions / n);
  const zones = nodesPerZone.length;
  if (zones * cap < partitions) return undefined;
  const targets = new Array<number>(zones).fill(0);
  const open = new Set(nodesPerZone.map((_, k) => k));
  let budget = partitions;
  for (;;) {
    const nodes = [...open].reduce((sum, k) => sum + (nodesPerZone[k] as number), 0);
    const over = [...open].filter((k) => (budget * (nodesPerZone[k] as number)) / nodes > cap);
    if (over.length === 0) break;
    for (const k of over) {
      targets[k] = cap;
      open.delete(k);
      budget -= cap;
    }
  }
  const rest = [...open];
  const nodes = rest.reduce((sum, k) => sum + (nodesPerZone[k] as number), 0);
  let given = 0;
  const remainders: [number, number][] = [];
  for (const k of rest) {
    const ideal = (budget * (nodesPerZone[k] as number)) / nodes;
    targets[k] = Math.floor(ideal);
    given += Math.floor(ideal);
    remainders.push([k, ideal - Math.floor(ideal)]);
  }
  remainders.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  for (let i = 0; i < budget - given; i++) {
    const k = (remainders[i] as [number, number])[0];
    targets[k] = (targets[k] as number) + 1;
  }
  for (let k = 0; k < zones; k++) {
    if ((targets[k] as number) < (nodesPerZone[k] as number) || (targets[k] as number) > cap)
      return undefined;
  }
  return targets;
}

/**
 * Splits a zone's partitions over its nodes: floor or ceil each, the extra ones to the nodes
 * that keep the most (ties: lower index), since every kept partition is one that does not move.
 */
export function nodeTargets(zoneTarget: number, kept: readonly number[]): number[] {
  const base = Math.floor(zoneTarget / kept.length);
  const extra = zoneTarget % kept.length;
  const order = kept.map((_, i) => i).sort((a, b) => (kept[b] as number) - (kept[a] as number) || a - b);
  const targets = new Array<number>(kept.length).fill(base);
  for (let i = 0; i < extra; i++) targets[order[i] as number] = base + 1;
  return targets;
}
