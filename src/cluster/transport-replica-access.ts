import type { HintStore } from "../coordinator/hint-store.js";
import type { LocalReplica } from "../coordinator/local-replica.js";
import type { ReplicaAccess } from "../coordinator/replica-access.js";
import { decodeStoredObject, encodeStoredObject, type StoredObject } from "../core/stored-object.js";
import { PeerUnreachableError } from "../net/errors.js";
import type { Message, Transport } from "../net/transport.js";
import { errorFromMessage } from "./error-wire.js";
import { hintMessage, putMessage, readMessage, replicateMessage } from "./kv-messages.js";

/** Reaches replicas: this node's own through LocalReplica, the others over the transport. */
export class TransportReplicaAccess implements ReplicaAccess {
  constructor(
    private readonly selfId: string,
    private readonly local: LocalReplica,
    private readonly hints: HintStore,
    private readonly transport: Transport,
    /** The inter-node address of a member, or undefined if unknown. */
    private readonly addressOf: (nodeId: string) => string | undefined,
  ) {}

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
    const reply = await this.request(nodeId, readMessage({ partition, key, hintFor }), timeoutMs);
    if (reply.type !== "kv_read_ok") throw errorFromMessage(reply);
    if (reply.object === null) return undefined;
    if (!(reply.object instanceof Uint8Array))
      throw new Error(`replica ${nodeId} answered a read without an object`);
    return decodeStoredObject(reply.object);
  }

  async replicate(
    nodeId: string,
    partition: number,
    key: Uint8Array,
    object: StoredObject,
    timeoutMs: number,
  ): Promise<void> {
    if (nodeId === this.selfId) {
      await this.local.merge(partition, key, object);
      return;
    }
    const reply = await this.request(
      nodeId,
      replicateMessage(partition, key, encodeStoredObject(object)),
      timeoutMs,
    );
    if (reply.type !== "kv_replicate_ok") throw errorFromMessage(reply);
  }

  async hint(
    nodeId: string,
    target: string,
    partition: number,
    key: Uint8Array,
    object: StoredObject,
    timeoutMs: number,
  ): Promise<void> {
    if (nodeId === this.selfId) {
      await this.hints.add(target, partition, key, object);
      return;
    }
    const reply = await this.request(
      nodeId,
      hintMessage(target, partition, key, encodeStoredObject(object)),
      timeoutMs,
    );
    if (reply.type !== "kv_hint_ok") throw errorFromMessage(reply);
  }

  async forwardPut(
    nodeId: string,
    request: Parameters<ReplicaAccess["forwardPut"]>[1],
  ): Promise<StoredObject> {
    // The coordinator answers within the client's timeout; allow a little more for the hop back.
    const reply = await this.request(nodeId, putMessage(request), request.timeoutMs + 500);
    if (reply.type !== "kv_put_ok") throw errorFromMessage(reply);
    if (!(reply.object instanceof Uint8Array))
      throw new Error(`coordinator ${nodeId} answered without an object`);
    return decodeStoredObject(reply.object);
  }

  private request(nodeId: string, message: Message, timeoutMs: number): Promise<Message> {
    const address = this.addressOf(nodeId);
    if (address === undefined)
      return Promise.reject(new PeerUnreachableError(nodeId, "no address known for this node"));
    return this.transport.request(address, message, { timeoutMs });
  }
}
