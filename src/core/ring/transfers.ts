import { preferenceList } from "./preference-list.js";

/** The home replicas (first N of the preference list) of a partition under an owners array. */
export function homeOf(owners: readonly string[], partition: number, n: number): string[] {
  return preferenceList(owners, partition, n);
}

/**
 * Partitions `nodeId` is a home replica of under `next` but not under `owners`: the data it must
 * receive before `next` can become the ring.
 */
export function partitionsGained(
  owners: readonly string[],
  next: readonly string[],
  n: number,
  nodeId: string,
): number[] {
  const gained: number[] = [];
  for (let p = 0; p < owners.length; p++) {
    if (homeOf(next, p, n).includes(nodeId) && !homeOf(owners, p, n).includes(nodeId)) gained.push(p);
  }
  return gained;
}

/** Every node that gains at least one partition going from `owners` to `next`. */
export function gainingNodes(owners: readonly string[], next: readonly string[], n: number): Set<string> {
  const gainers = new Set<string>();
  for (let p = 0; p < owners.length; p++) {
    const current = homeOf(owners, p, n);
    for (const id of homeOf(next, p, n)) if (!current.includes(id)) gainers.add(id);
  }
  return gainers;
}
