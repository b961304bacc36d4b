import type { Clock } from "../clock/clock.js";
import { join, sync, type VersionVector } from "../core/causality/index.js";
import type { LivenessStatus } from "../core/membership/failure-detector.js";
import { partitionOf } from "../core/partition.js";
import type { RingView } from "../core/ring/ring-view.js";
import { type Sibling, type StoredObject, tombstone } from "../core/stored-object.js";
import { NotReadyError, QuorumError, RingkvError } from "../errors.js";
import { awaitQuorum } from "./await-quorum.js";
import type { LocalReplica } from "./local-replica.js";
import type { ReplicaAccess } from "./replica-access.js";
import type { RequestOptions } from "./request-options.js";
import { withTimeout } from "./with-timeout.js";

export interface CoordinatorDeps {
  nodeId: string;
  replica: LocalReplica;
  /** The current ring, or undefined while the cluster has none yet. */
  ring: () => RingView | undefined;
  access: ReplicaAccess;
  status: (nodeId: string) => LivenessStatus;
  clock: Clock;
}

/**
 * Carries out a client request against the key's home replicas with the request's quorum. Writes
 * are coordinated by a home replica (its actor is the dot): a node that is not one forwards them.
 * Reads are coordinated by whichever node took the request.
 */
export class Coordinator {
  constructor(private readonly deps: CoordinatorDeps) {}

  private currentRing(): RingView {
    const ring = this.deps.ring();
    if (ring === undefined) throw new NotReadyError("the cluster has no ring yet; retry shortly");
    return ring;
  }

  partitionOf(key: Uint8Array): number {
    return partitionOf(key, this.currentRing().partitions);
  }

  /** The key's home replicas: the first N of its partition's preference list. */
  homeReplicas(partition: number): readonly string[] {
    const ring = this.currentRing();
    return ring.preferenceList(partition).slice(0, ring.n);
  }

  /** The merged history of the key from `r` replicas, or undefined when none holds it. */
  async get(key: Uint8Array, options: RequestOptions): Promise<StoredObject | undefined> {
    const partition = this.partitionOf(key);
    const home = this.homeReplicas(partition);
    const reads = home.map((id) => this.deps.access.read(id, partition, key, options.timeoutMs));
    const replies = await awaitQuorum(reads, options.r, options.timeoutMs, this.deps.clock, "read");
    return replies.reduce<StoredObject | undefined>(
      (acc, o) => (acc === undefined ? o : o === undefined ? acc : sync(acc, o)),
      undefined,
    );
  }

  /** Writes `sibling` superseding what `context` covers; resolves with the key's new history. */
  put(
    key: Uint8Array,
    sibling: Sibling,
    context: VersionVector,
    options: RequestOptions,
  ): Promise<StoredObject> {
    const partition = this.partitionOf(key);
    const home = this.homeReplicas(partition);
    if (home.includes(this.deps.nodeId)) return this.coordinatePut(partition, key, sibling, context, options);
    return this.forward(home, key, sibling, context, options);
  }

  /**
   * This node coordinates: the new version gets this node's dot, is durable here (one ack), and
   * is merged into the other home replicas; the client is answered after `w` durable acks.
   */
  async coordinatePut(
    partition: number,
    key: Uint8Array,
    sibling: Sibling,
    context: VersionVector,
    options: RequestOptions,
  ): Promise<StoredObject> {
    const startedMs = this.deps.clock.nowMs();
    const home = this.homeReplicas(partition);
    if (home.length < options.w) throw new QuorumError(options.w, 0, "write");
    // The local write's own errors (sibling limit, full disk) are the client's answer; only
    // running out of time is a quorum failure.
    const object = await withTimeout(
      this.deps.replica.coordinateWrite(partition, key, context, sibling),
      options.timeoutMs,
      this.deps.clock,
      () => new QuorumError(options.w, 0, "write"),
    );
    const remainingMs = Math.max(1, options.timeoutMs - (this.deps.clock.nowMs() - startedMs));
    const acks = home.map((id) =>
      id === this.deps.nodeId
        ? Promise.resolve()
        : this.deps.access.replicate(id, partition, key, object, remainingMs),
    );
    await awaitQuorum(acks, options.w, remainingMs, this.deps.clock, "write");
    return object;
  }

  /**
   * Forwards a write to one home replica, preferring those the failure detector sees up. Only a
   * replica that could not be reached at all is skipped for the next; once one may have applied
   * the write, retrying elsewhere would make a duplicate sibling.
   */
  private async forward(
    home: readonly string[],
    key: Uint8Array,
    sibling: Sibling,
    context: VersionVector,
    options: RequestOptions,
  ): Promise<StoredObject> {
    const rank = { up: 0, suspect: 1, down: 2 } as const;
    const ordered = [...home].sort((a, b) => rank[this.deps.status(a)] - rank[this.deps.status(b)]);
    let lastError: unknown = new QuorumError(options.w, 0, "write");
    for (const id of ordered) {
      if (this.deps.status(id) === "down") continue;
      try {
        return await this.deps.access.forwardPut(id, {
          key,
          sibling,
          context,
          w: options.w,
          timeoutMs: options.timeoutMs,
        });
      } catch (error) {
        if (!(error instanceof RingkvError) || error.code !== "peer_unreachable") throw error;
        lastError = error;
      }
    }
    throw lastError instanceof QuorumError ? lastError : new QuorumError(options.w, 0, "write");
  }

  /**
   * With a context, a tombstone supersedes what it covers. Without one, the key is read at
   * quorum first and everything found is deleted (as Riak does); nothing found means nothing to do.
   */
  async delete(
    key: Uint8Array,
    context: VersionVector | undefined,
    options: RequestOptions,
  ): Promise<StoredObject | undefined> {
    let deleteContext = context;
    if (deleteContext === undefined) {
      const current = await this.get(key, options);
      if (current === undefined || current.entries.length === 0) return current;
      deleteContext = join(current);
    }
    return this.put(key, tombstone(this.deps.clock.nowMs()), deleteContext, options);
  }
}
