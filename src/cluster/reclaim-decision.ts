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
