import type { VersionVector } from "../core/causality/index.js";
import type { Sibling, StoredObject } from "../core/stored-object.js";

/**
 * How a coordinator reaches one replica, local or remote; each call rejects on failure or timeout.
 * `ringVersion` is the version of the ring the replica was chosen from: a remote replica fences
 * on it (core/ring/ownership.ts), so it must be that ring's, not whatever the node holds by now.
 * A remote replica also fences on the key's replica count; the implementation sends the count it
 * knows of the key with each write (see TransportReplicaAccess).
 */
export interface ReplicaAccess {
  /** The replica's history of a key; with `hintFor`, what that node holds as hints for `hintFor`. */
  read(
    nodeId: string,
    partition: number,
    key: Uint8Array,
    timeoutMs: number,
    hintFor?: string,
  ): Promise<StoredObject | undefined>;
  /** Merges `object` into the replica's history of the key; resolves once durable there. */
  replicate(
    nodeId: string,
    partition: number,
    key: Uint8Array,
    object: StoredObject,
    timeoutMs: number,
    ringVersion?: number,
  ): Promise<void>;
  /** Stores `object` on `nodeId` as a hint for the home replica `target`; resolves once durable. */
  hint(
    nodeId: string,
    target: string,
    partition: number,
    key: Uint8Array,
    object: StoredObject,
    timeoutMs: number,
    ringVersion?: number,
  ): Promise<void>;
  /** Asks a replica to coordinate a client write; resolves with the key's new history. */
  forwardPut(
    nodeId: string,
    request: {
      key: Uint8Array;
      sibling: Sibling;
      context: VersionVector;
      w: number;
      pw: number;
      timeoutMs: number;
      ringVersion?: number;
      /** The key's replica count as the forwarding node judged it. */
      n?: number;
    },
  ): Promise<StoredObject>;
}
