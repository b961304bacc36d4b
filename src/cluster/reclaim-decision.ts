import { homeOf } from "../core/ring/index.js";

/** The ring as reclaim needs it: the current owners and a pending change, if any. */
export interface ReclaimRing {
  owners: readonly string[];
  next: readonly string[] | null;
}

/**
 * The partitions whose local copy is stale: this node holds objects for them but is not one of
 * their home replicas. Nothing is stale while a change is pending: until it completes the current
 * home replicas (this node among them, perhaps) still serve, and a losing node is a transfer
 * source. `held` lists the partitions this node holds any object for.
 */
export function stalePartitions(
  ring: ReclaimRing | null,
  n: number,
  selfId: string,
  held: readonly number[],
): number[] {
  if (ring === null || ring.next !== null) return [];
  return held.filter((p) => p >= 0 && p < ring.owners.length && !homeOf(ring.owners, p, n).includes(selfId));
}

/** What one acknowledged hand-over of a stale key allows: delete it only if it did not change. */
export function mayDrop(
  homes: readonly string[],
  acked: ReadonlySet<string>,
  sentBytes: Uint8Array,
  currentBytes: Uint8Array | undefined,
): boolean {
  if (currentBytes === undefined) return false;
  if (homes.length === 0 || !homes.every((id) => acked.has(id))) return false;
  return Buffer.from(sentBytes).equals(Buffer.from(currentBytes));
}

/** One partition this node holds keys of that it may no longer keep. */
export interface StaleCopy {
  readonly partition: number;
  /** The replica counts whose first n this node is outside of (ascending): their keys are stale here. */
  readonly counts: readonly number[];
  /** Every count in use is stale: the whole partition goes. */
  readonly whole: boolean;
}

/**
 * Per held partition, the replica counts (namespaces' n, core/namespace/replica-counts.ts) whose
 * keys this node holds but is not among the first n of: a node at position 3 keeps the N=3 keys
 * of a partition but not those of an n=2 namespace. With one count this is stalePartitions.
 * Nothing is stale while a change is pending.
 */
export function staleCopies(
  ring: ReclaimRing | null,
  counts: readonly number[],
  selfId: string,
  held: readonly number[],
): StaleCopy[] {
  if (ring === null || ring.next !== null) return [];
  const out: StaleCopy[] = [];
  for (const p of held) {
    if (p < 0 || p >= ring.owners.length) continue;
    const stale = counts.filter((n) => !homeOf(ring.owners, p, n).includes(selfId));
    if (stale.length > 0) out.push({ partition: p, counts: stale, whole: stale.length === counts.length });
  }
  return out;
}
