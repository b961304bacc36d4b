import type { Clock } from "../clock/clock.js";
import { join, sync, type VersionVector } from "../core/causality/index.js";
import { partitionOf } from "../core/partition.js";
import type { RingView } from "../core/ring.js";
import { type Sibling, type StoredObject, tombstone } from "../core/stored-object.js";
import { QuorumError } from "../errors.js";
import { awaitQuorum } from "./await-quorum.js";
import { withTimeout } from "./with-timeout.js";
import type { LocalReplica } from "./local-replica.js";
import type { RequestOptions } from "./request-options.js";

export interface CoordinatorDeps {
  nodeId: string;
  replica: LocalReplica;
  ring: () => RingView;
  clock: Clock;
}

/**
 * Takes a client request for a key and carries it out against the key's replicas with the
 * request's quorum. This node coordinates writes of keys it replicates (its actor is the dot).
 */
export class Coordinator {
  constructor(private readonly deps: CoordinatorDeps) {}

  partitionOf(key: Uint8Array): number {
    return partitionOf(key, this.deps.ring().partitions);
  }

  /** The merged history of the key from `r` replicas, or undefined when none holds it. */
  async get(key: Uint8Array, options: RequestOptions): Promise<StoredObject | undefined> {
    const partition = this.partitionOf(key);
    const replicas = this.homeReplicas(partition);
    const reads = replicas.map(() => Promise.resolve(this.deps.replica.read(partition, key)));
    const replies = await awaitQuorum(reads, options.r, options.timeoutMs, this.deps.clock, "read");
    return replies.reduce<StoredObject | undefined>((acc, o) => mergeOptional(acc, o), undefined);
  }

  /** Writes `sibling` superseding what `context` covers; resolves with the key's new history. */
  async put(key: Uint8Array, sibling: Sibling, context: VersionVector, options: RequestOptions): Promise<StoredObject> {
    const partition = this.partitionOf(key);
    const replicas = this.homeReplicas(partition);
    if (replicas.length < options.w) throw new QuorumError(options.w, 0, "write");
    // The coordinated write itself must succeed: its errors (sibling limit, full disk) are the
    // client's answer, not a quorum failure. Only running out of time becomes a 503.
    return withTimeout(
      this.deps.replica.coordinateWrite(partition, key, context, sibling),
      options.timeoutMs,
      this.deps.clock,
      () => new QuorumError(options.w, 0, "write"),
    );
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

  private homeReplicas(partition: number): readonly string[] {
    const ring = this.deps.ring();
    const home = ring.preferenceList(partition).slice(0, ring.n);
    // Until the cluster transport exists every replica is this node; a remote one is a bug.
    for (const id of home) {
      if (id !== this.deps.nodeId) throw new Error(`replica ${id} is remote; this build coordinates locally only`);
    }
    return home;
  }
}

function mergeOptional(a: StoredObject | undefined, b: StoredObject | undefined): StoredObject | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return sync(a, b);
}
