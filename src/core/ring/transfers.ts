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

/**
 * Every node that gains at least one partition going from `owners` to `next`, for keys of any of
 * the replica counts `n` (one, or every count in use: core/namespace/replica-counts.ts).
 */
export function gainingNodes(
  owners: readonly string[],
  next: readonly string[],
  n: number | readonly number[],
): Set<string> {
  const counts = typeof n === "number" ? [n] : n;
  const gainers = new Set<string>();
  for (let p = 0; p < owners.length; p++) {
    for (const count of counts) {
      const current = homeOf(owners, p, count);
      for (const id of homeOf(next, p, count)) if (!current.includes(id)) gainers.add(id);
    }
  }
  return gainers;
}

/** What one node must receive of one partition: the keys of these replica counts, from these replicas. */
export interface PartitionGain {
  readonly partition: number;
  /** The replica counts whose first-n the node enters (ascending). */
  readonly counts: readonly number[];
  /** Every replica that holds keys of those counts now: the first max(counts) under `owners`. */
  readonly holders: readonly string[];
  /** Holders that drop out of the first n of some of those counts: their copies must be read. */
  readonly losing: readonly string[];
}

/**
 * The partitions `nodeId` gains going from `owners` to `next`, per replica count in `counts`: it
 * is among the first n of a partition's preference list under `next` but not under `owners`.
 * With one count this is partitionsGained. Pure.
 */
export function partitionGains(
  owners: readonly string[],
  next: readonly string[],
  counts: readonly number[],
  nodeId: string,
): PartitionGain[] {
  const gains: PartitionGain[] = [];
  for (let p = 0; p < owners.length; p++) {
    const gained: number[] = [];
    const losing = new Set<string>();
    for (const n of counts) {
      const before = homeOf(owners, p, n);
      const after = homeOf(next, p, n);
      if (!after.includes(nodeId) || before.includes(nodeId)) continue;
      gained.push(n);
      for (const id of before) if (!after.includes(id)) losing.add(id);
    }
    if (gained.length === 0) continue;
    gained.sort((a, b) => a - b);
    const holders = homeOf(owners, p, gained[gained.length - 1] as number);
    gains.push({ partition: p, counts: gained, holders, losing: holders.filter((id) => losing.has(id)) });
  }
  return gains;
}
