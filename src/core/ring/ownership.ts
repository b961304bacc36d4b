import type { RingView } from "./ring-view.js";

/**
 * Ownership fencing: whether a replica takes a replicated write, a hint or a request to
 * coordinate for a partition, judged against ITS ring. A pure function; the handlers do the I/O.
 *
 * - "replica" (kv_replicate, kv_put): the receiver must be a home replica of the partition under
 *   the ring's owners, or one of its incoming replicas under the pending `next` (it is receiving
 *   the partition, and writes during the move must reach it).
 * - "hint" (kv_hint): the hint's target must be such a replica: the receiver stands in for it.
 *
 * A sender whose ring is NEWER than the receiver's is accepted: refusing would be refusing on
 * stale knowledge, and the sender chose the receiver from the newer ring, the one that counts.
 * Learning that ring first (a gossip pull) would reach the same verdict at the cost of a round
 * trip on the write path; the receiver learns it in the background instead. A sender that does
 * not say its version (a node predating fencing) is checked as if its ring were not newer.
 * A receiver that has no ring yet has nothing to check against and accepts (any sender's ring
 * is newer than none).
 */
export type OwnershipRequest =
  | { readonly kind: "replica"; readonly partition: number; readonly n?: number }
  | { readonly kind: "hint"; readonly partition: number; readonly target: string; readonly n?: number };

export type OwnershipVerdict = "accept" | "accept-newer-sender" | "refuse";

export function ownershipVerdict(
  ring: RingView | undefined,
  selfId: string,
  request: OwnershipRequest,
  senderRingVersion: number | undefined,
): OwnershipVerdict {
  if (ring === undefined) return "accept";
  if (senderRingVersion !== undefined && senderRingVersion > ring.version) return "accept-newer-sender";
  const holder = request.kind === "replica" ? selfId : request.target;
  return isReplicaOf(ring, holder, request.partition, request.n) ? "accept" : "refuse";
}

/**
 * Whether `nodeId` is a home replica of `partition`, for a key with `n` replicas (default the
 * ring's N), under the ring's owners or its pending next.
 */
export function isReplicaOf(ring: RingView, nodeId: string, partition: number, n: number = ring.n): boolean {
  if (!Number.isInteger(partition) || partition < 0 || partition >= ring.partitions) return false;
  return ring.home(partition, n).includes(nodeId) || ring.incoming(partition, n).includes(nodeId);
}
