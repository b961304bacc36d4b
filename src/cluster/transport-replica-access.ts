import type { HintStore } from "../coordinator/hint-store.js";
import type { LocalReplica } from "../coordinator/local-replica.js";
import type { ReplicaAccess } from "../coordinator/replica-access.js";
import type { ReplicaCounts } from "../core/namespace/index.js";
import { encodeStoredObject, type StoredObject } from "../core/stored-object.js";
import { type MemberClient, peerMessages } from "../protocol/index.js";

/**
 * Reaches replicas: this node's own through LocalReplica, the others through the peer protocol.
 * Writes and hints carry the key's replica count as this node knows it (`counts`), so a replica
 * that has not heard of a namespace's n yet still fences on it (kv-handlers.ts).
 */
export class TransportReplicaAccess implements ReplicaAccess {
  constructor(
    private readonly selfId: string,
    private readonly local: LocalReplica,
    private readonly hints: HintStore,
    private readonly peers: MemberClient,
    private readonly counts?: ReplicaCounts,
  ) {}

  private nOf(key: Uint8Array): { n?: number } {
    return this.counts === undefined ? {} : { n: this.counts.nOf(key) };
  }

  async read(
    nodeId: string,
    partition: number,
    key: Uint8Array,
    timeoutMs: number,
    hintFor?: string,
  ): Promise<StoredObject | undefined> {
    if (nodeId === this.selfId) {
      return hintFor === undefined
        ? this.local.read(partition, key)
        : this.hints.read(hintFor, partition, key);
    }
    const reply = await this.peers.request(
      nodeId,
      peerMessages.kvRead,
      { partition, key, hintFor },
      { timeoutMs },
    );
    return reply.object ?? undefined;
  }

  async replicate(
    nodeId: string,
    partition: number,
    key: Uint8Array,
    object: StoredObject,
    timeoutMs: number,
    ringVersion?: number,
  ): Promise<void> {
    if (nodeId === this.selfId) {
      await this.local.merge(partition, key, object);
      return;
    }
    const body = { partition, key, object: encodeStoredObject(object), ringVersion, ...this.nOf(key) };
    await this.peers.request(nodeId, peerMessages.kvReplicate, body, { timeoutMs });
  }

  async hint(
    nodeId: string,
    target: string,
    partition: number,
    key: Uint8Array,
    object: StoredObject,
    timeoutMs: number,
    ringVersion?: number,
  ): Promise<void> {
    if (nodeId === this.selfId) {
      await this.hints.add(target, partition, key, object);
      return;
    }
    const body = {
      target,
      partition,
      key,
      object: encodeStoredObject(object),
      ringVersion,
      ...this.nOf(key),
    };
    await this.peers.request(nodeId, peerMessages.kvHint, body, { timeoutMs });
  }

  async forwardPut(
    nodeId: string,
    request: Parameters<ReplicaAccess["forwardPut"]>[1],
  ): Promise<StoredObject> {
    const { sibling, ...rest } = request;
    const { value, contentType, deleted, writtenAtMs, expiresAtMs } = sibling;
    const body = {
      ...rest,
      value,
      contentType,
      deleted,
      writtenAtMs,
      ...(expiresAtMs === undefined ? {} : { expiresAtMs }),
    };
    // The coordinator answers within the client's timeout; allow a little more for the hop back.
    const reply = await this.peers.request(nodeId, peerMessages.kvPut, body, {
      timeoutMs: request.timeoutMs + 500,
    });
    return reply.object;
  }
}
