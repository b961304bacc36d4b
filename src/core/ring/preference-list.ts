/**
 * A partition's preference list: walk the ring clockwise from the partition (p, p+1, ... mod Q)
 * and collect distinct owners. The first N are the partition's home replicas, the rest are the
 * fallbacks a sloppy quorum uses while a home replica is unreachable. Duplicates are skipped, so
 * the list has N distinct nodes whenever the ring has at least N members, even where the owners
 * array repeats a node inside a window.
 */
export function preferenceList(owners: readonly string[], partition: number, length?: number): string[] {
  const partitions = owners.length;
  if (!Number.isInteger(partition) || partition < 0 || partition >= partitions) {
    throw new RangeError(`partition ${partition} is outside 0..${partitions - 1}`);
  }
  if (length !== undefined && (!Number.isInteger(length) || length < 0)) {
    throw new RangeError(`preference list length ${length} is not a non-negative integer`);
  }
  const lengthMax = length ?? Number.POSITIVE_INFINITY;
  const seen = new Set<string>();
  const list: string[] = [];
  for (let step = 0; step < partitions && list.length < lengthMax; step++) {
    const owner = owners[(partition + step) % partitions] as string;
    if (seen.has(owner)) continue;
    seen.add(owner);
    list.push(owner);
  }
  return list;
}

/** How many partitions each node owns as primary, in order of first appearance on the ring. */
export function ownershipCounts(owners: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const owner of owners) counts.set(owner, (counts.get(owner) ?? 0) + 1);
  return counts;
}
