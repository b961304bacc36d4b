import type { Coordinator } from "../coordinator/coordinator.js";
import type { HintStore } from "../coordinator/hint-store.js";
import type { LocalReplica } from "../coordinator/local-replica.js";
import type { ReplicaCounts } from "../core/namespace/index.js";
import { type OwnershipRequest, ownershipVerdict } from "../core/ring/ownership.js";
import type { RingView } from "../core/ring/ring-view.js";
import { encodeStoredObject } from "../core/stored-object.js";
import { NotOwnerError } from "../errors.js";
import { type HandlerEntry, handler, peerMessages } from "../protocol/index.js";

/** What the ownership check of the kv handlers needs (core/ring/ownership.ts decides). */
export interface OwnershipFence {
  selfId: string;
  ring: () => RingView | undefined;
  /** Counts a refusal, by message kind. */
  onRefused: (kind: "replicate" | "hint" | "put") => void;
  /** A sender's ring is newer than ours: learn it (in the background; never awaited on the write path). */
  onNewerSender: (senderId: string) => void;
  /** Each key's replica count as this node knows it; absent: every key has the ring's N. */
  replicaCounts?: ReplicaCounts;
  /**
   * A write was taken under a sender's larger n than this node knows for the key (the sender
   * has not heard of a smaller n yet): the copy may be one this node should not keep, so
   * reclaim looks at the partition again.
   */
  onWiderThanKnown?: (partition: number) => void;
}

/**
 * How this node answers other nodes about keys it holds: reads, replicated writes, hints, and
 * writes forwarded for it to coordinate. Every message was checked against its schema first.
 */
export function kvHandlers(
  replica: LocalReplica,
  hints: HintStore,
  coordinator: Coordinator,
  fence: OwnershipFence,
): HandlerEntry[] {
  /** Throws NotOwnerError unless this node may take the request (see ownershipVerdict). */
  const check = (
    kind: "replicate" | "hint" | "put",
    request: OwnershipRequest,
    senderRingVersion: number | undefined,
    senderId: string,
  ): void => {
    const ring = fence.ring();
    const verdict = ownershipVerdict(ring, fence.selfId, request, senderRingVersion);
    if (verdict === "accept-newer-sender") fence.onNewerSender(senderId);
    if (verdict !== "refuse" || ring === undefined) return;
    fence.onRefused(kind);
    throw new NotOwnerError(request.partition, ring.version);
  };
  /**
   * The replica count to fence a key on: the larger of the sender's and this node's. A namespace's
   * n reaches nodes through the metadata within seconds, not at once: a sender that knows a
   * larger n chose this node by it, and a sender that does not yet know this node's larger n
   * still writes to a home replica of it.
   */
  const fenceN = (key: Uint8Array, sent: number | undefined): { n?: number; wider: boolean } => {
    const known = fence.replicaCounts?.nOf(key);
    if (known === undefined) return sent === undefined ? { wider: false } : { n: sent, wider: false };
    if (sent === undefined || sent <= known) return { n: known, wider: false };
    return { n: sent, wider: true };
  };
  return [
    handler(peerMessages.kvRead, (r) => {
      const object =
        r.hintFor === undefined
          ? replica.read(r.partition, r.key)
          : hints.read(r.hintFor, r.partition, r.key);
      return { object: object === undefined ? null : encodeStoredObject(object) };
    }),
    handler(peerMessages.kvReplicate, async (r, from) => {
      const { n, wider } = fenceN(r.key, r.n);
      check(
        "replicate",
        { kind: "replica", partition: r.partition, ...(n === undefined ? {} : { n }) },
        r.ringVersion,
        from.id,
      );
      await replica.merge(r.partition, r.key, r.object);
      if (wider) fence.onWiderThanKnown?.(r.partition);
      return {};
    }),
    handler(peerMessages.kvHint, async (r, from) => {
      const { n } = fenceN(r.key, r.n);
      const request = { kind: "hint" as const, partition: r.partition, target: r.target };
      check("hint", n === undefined ? request : { ...request, n }, r.ringVersion, from.id);
      await hints.add(r.target, r.partition, r.key, r.object);
      return {};
    }),
    handler(peerMessages.kvPut, async (r, from) => {
      const partition = coordinator.partitionOf(r.key);
      const { n, wider } = fenceN(r.key, r.n);
      check("put", { kind: "replica", partition, ...(n === undefined ? {} : { n }) }, r.ringVersion, from.id);
      const sibling = {
        value: r.value,
        contentType: r.contentType,
        deleted: r.deleted,
        writtenAtMs: r.writtenAtMs,
        ...(r.expiresAtMs === undefined ? {} : { expiresAtMs: r.expiresAtMs }),
      };
      const object = await coordinator.coordinatePut(partition, r.key, sibling, r.context, {
        r: 1,
        pr: 0,
        w: r.w,
        pw: r.pw,
        timeoutMs: r.timeoutMs,
        // The count the write was fenced on: the forwarding node's or this node's, the larger.
        ...(n === undefined ? {} : { n }),
      });
      if (wider) fence.onWiderThanKnown?.(partition);
      return { object: encodeStoredObject(object) };
    }),
  ];
}
