import { type ActorId, emptyDvvSet, join, type VersionVector, valueCount } from "../core/causality/index.js";
import type { ConflictResolution } from "../core/conflict-mode.js";
import { isDeadAt } from "../core/expiry.js";
import { decodeKey } from "../core/namespace/index.js";
import {
  decodeStoredObject,
  encodeStoredObject,
  isTombstoneOnly,
  type Sibling,
  type StoredObject,
} from "../core/stored-object.js";
import { ObjectTooLargeError, StorageFailedError, TooManySiblingsError } from "../errors.js";
import type { Logger } from "../log/logger.js";
import type { NodeMetrics } from "../metrics/node-metrics.js";
import type { StorageEngine } from "../storage/engine.js";
import { objectKey } from "../storage/object-key.js";

/** Called after every committed change of a key, with its history before and after (Merkle trees). */
export type ReplicaChangeListener = (
  partition: number,
  key: Uint8Array,
  before: StoredObject | undefined,
  after: StoredObject | undefined,
) => void;

export interface LocalReplicaOptions {
  /** This node's write identity in version vectors: node id plus the data directory's epoch. */
  actor: ActorId;
  siblingsMax: number;
  /** The sibling limit of one key (its namespace's maxSiblings); absent: siblingsMax for every key. */
  siblingsMaxOf?: (key: Uint8Array) => number;
  siblingsWarn: number;
  /** A coordinated write may not leave a larger encoded object, unless it shrinks it. */
  objectBytesMax: number;
  /** The cluster's conflict mode: how a write applies and how two versions of a key merge. */
  conflicts: ConflictResolution;
}

/**
 * This node's copy of the keys it holds: applies coordinated writes (a new dot of this node's
 * actor) and merges histories from elsewhere, each as one atomic read-modify-write.
 */
export class LocalReplica {
  constructor(
    private readonly storage: StorageEngine,
    private readonly options: LocalReplicaOptions,
    private readonly logger: Logger,
    private readonly metrics: NodeMetrics,
  ) {}

  private readonly listeners: ReplicaChangeListener[] = [];
  /** Coordinated writes applied but not yet known durable (or failed). */
  private readonly inFlight = new Set<Promise<StoredObject>>();
  /** Set once a coordinated write's commit failed after it was applied; see coordinateWrite. */
  private commitFailure: StorageFailedError | undefined;

  /**
   * Listeners hear of each committed transition (before -> after) once, after it is durable. Two
   * writes to one key may be reported out of order; the transitions still chain, so a listener
   * that folds them commutatively (an XOR tree) ends up exact.
   */
  onChange(listener: ReplicaChangeListener): void {
    this.listeners.push(listener);
  }

  /**
   * Transitions begun (a write issued, perhaps applied and visible in storage) whose listeners
   * have not been told yet. While above 0, state derived from a scan of storage may already hold
   * changes that listeners will still be told of: rebuild such state only at 0.
   */
  get transitionsUnreported(): number {
    return this.unreported;
  }

  private unreported = 0;

  private async changed(
    partition: number,
    key: Uint8Array,
    transition: Promise<{ before: StoredObject | undefined; after: StoredObject }>,
  ): Promise<StoredObject> {
    this.unreported += 1;
    try {
      const { before, after } = await transition;
      this.notify(partition, key, before, after);
      return after;
    } finally {
      this.unreported -= 1;
    }
  }

  /**
   * Tells every listener; one that throws is logged and does not fail the write, which is
   * durable by now (and it does not keep the other listeners from hearing of it).
   */
  private notify(
    partition: number,
    key: Uint8Array,
    before: StoredObject | undefined,
    after: StoredObject | undefined,
  ): void {
    for (const listener of this.listeners) {
      try {
        listener(partition, key, before, after);
      } catch (error) {
        this.logger.error({ err: error, partition }, "a listener of replica changes failed");
      }
    }
  }

  get actor(): ActorId {
    return this.options.actor;
  }

  /** The cluster's conflict mode, for every other place that merges or compares versions. */
  get conflicts(): ConflictResolution {
    return this.options.conflicts;
  }

  read(partition: number, key: Uint8Array): StoredObject | undefined {
    const bytes = this.storage.get("objects", objectKey(partition, key));
    return bytes === undefined ? undefined : decodeStoredObject(bytes);
  }

  /**
   * Coordinates a client write here: the new value gets a dot of this node's actor. `onApplied`
   * hears the new history as soon as it is applied locally, before it is durable, so the
   * coordinator can send it to the other replicas while the local commit is under way; the
   * promise resolves once it is durable here.
   *
   * A commit that fails after `onApplied` leaves a dot that other replicas may hold and this one
   * does not: a later write here could reissue it for another value. From then on this replica
   * coordinates nothing (StorageFailedError) and the node must not mark its run as clean, so it
   * restarts under a new actor (NodeMeta.beginRun).
   */
  coordinateWrite(
    partition: number,
    key: Uint8Array,
    context: VersionVector,
    sibling: Sibling,
    onApplied?: (after: StoredObject) => void,
  ): Promise<StoredObject> {
    if (this.commitFailure !== undefined) return Promise.reject(this.commitFailure);
    let applied = false;
    const transition = this.storage.update(
      "objects",
      objectKey(partition, key),
      (old) => {
        const before = old === undefined ? undefined : decodeStoredObject(old);
        const next = this.options.conflicts.write(
          before ?? emptyDvvSet<Sibling>(),
          context,
          this.options.actor,
          sibling,
        );
        this.checkSiblings(key, before ?? emptyDvvSet<Sibling>(), next);
        const encoded = encodeStoredObject(next);
        // Merges (replication, repair, transfer) are never refused: they carry writes another
        // replica acknowledged. Only a new write that grows the object past the limit is.
        if (encoded.length > this.options.objectBytesMax && encoded.length > (old?.length ?? 0)) {
          this.metrics.objectsRefused.inc();
          throw new ObjectTooLargeError(encoded.length, this.options.objectBytesMax);
        }
        return { write: encoded, result: { before, after: next } };
      },
      (result) => {
        applied = true;
        onApplied?.(result.after);
      },
    );
    const durable = this.changed(partition, key, transition).catch((error: unknown) => {
      if (applied && this.commitFailure === undefined) {
        this.commitFailure = new StorageFailedError(
          "a local commit failed after its write was sent to other replicas: this node coordinates no writes until it restarts",
          { cause: error },
        );
        this.logger.error({ err: error, actor: this.options.actor }, "commit of a coordinated write failed");
      }
      throw error;
    });
    this.inFlight.add(durable);
    void durable.then(
      () => this.inFlight.delete(durable),
      () => this.inFlight.delete(durable),
    );
    return durable;
  }

  /**
   * Waits for every coordinated write still on its way to disk; resolves with whether all of them
   * (and every earlier one) became durable, which is when the node may record a clean stop.
   */
  async settle(): Promise<boolean> {
    await Promise.allSettled([...this.inFlight]);
    return this.commitFailure === undefined;
  }

  /** Merges another replica's history of a key into ours (replication, repair, handoff). */
  merge(partition: number, key: Uint8Array, incoming: StoredObject): Promise<StoredObject> {
    type Transition = { before: StoredObject | undefined; after: StoredObject };
    const conflicts = this.options.conflicts;
    conflicts.observe(incoming);
    const transition = this.storage.update<Transition>("objects", objectKey(partition, key), (old) => {
      if (old === undefined && conflicts.mode === "causal")
        return { write: encodeStoredObject(incoming), result: { before: undefined, after: incoming } };
      const before = old === undefined ? undefined : decodeStoredObject(old);
      // In lww mode even a first copy goes through the merge, which keeps one version only.
      const next = conflicts.merge(before ?? emptyDvvSet<Sibling>(), incoming);
      return { write: encodeStoredObject(next), result: { before, after: next } };
    });
    return this.changed(partition, key, transition);
  }

  /**
   * Deletes the key's tombstone for good, if it still is exactly `expected` (a write that arrived
   * meanwhile keeps it). Only the tombstone reaper calls this, once every home replica holds it.
   * With `nowMs`, versions expired by then count as tombstones (core/expiry.ts).
   */
  async reap(partition: number, key: Uint8Array, expected: StoredObject, nowMs?: number): Promise<boolean> {
    this.unreported += 1;
    try {
      return await this.reapCounted(partition, key, expected, nowMs);
    } finally {
      this.unreported -= 1;
    }
  }

  private async reapCounted(
    partition: number,
    key: Uint8Array,
    expected: StoredObject,
    nowMs: number | undefined,
  ): Promise<boolean> {
    const reaped = await this.storage.update("objects", objectKey(partition, key), (old) => {
      if (old === undefined) return { write: undefined, result: false };
      const current = decodeStoredObject(old);
      const dead = nowMs === undefined ? isTombstoneOnly(current) : isDeadAt(current, nowMs);
      if (!this.options.conflicts.same(current, expected) || !dead)
        return { write: undefined, result: false };
      return { write: null, result: true };
    });
    if (reaped) this.notify(partition, key, expected, undefined);
    return reaped;
  }

  /**
   * Deletes the key's object if its stored bytes still are exactly `expected`, whatever it holds
   * (a write that arrived meanwhile keeps it). Only partition reclaim calls this, for a partition
   * this node is no home replica of, once every home replica acknowledged that very object.
   */
  async drop(partition: number, key: Uint8Array, expected: Uint8Array): Promise<boolean> {
    this.unreported += 1;
    try {
      return await this.dropCounted(partition, key, expected);
    } finally {
      this.unreported -= 1;
    }
  }

  private async dropCounted(partition: number, key: Uint8Array, expected: Uint8Array): Promise<boolean> {
    const dropped = await this.storage.update<StoredObject | undefined>(
      "objects",
      objectKey(partition, key),
      (old) => {
        if (old === undefined || !Buffer.from(old).equals(Buffer.from(expected)))
          return { write: undefined, result: undefined };
        return { write: null, result: decodeStoredObject(old) };
      },
    );
    if (dropped !== undefined) this.notify(partition, key, dropped, undefined);
    return dropped !== undefined;
  }

  /**
   * A write that leaves more siblings than the limit is refused; one that reduces their number
   * (a resolving write) always passes, so a key over the limit can still be repaired.
   */
  private checkSiblings(key: Uint8Array, before: StoredObject, after: StoredObject): void {
    const count = valueCount(after);
    const siblingsMax = this.options.siblingsMaxOf?.(key) ?? this.options.siblingsMax;
    if (count > siblingsMax && count > valueCount(before)) {
      this.metrics.siblingsRefused.inc();
      throw new TooManySiblingsError(count, siblingsMax);
    }
    if (count > Math.min(this.options.siblingsWarn, siblingsMax)) {
      this.metrics.siblingsWarnings.inc();
      this.logger.warn(
        { ...loggedKey(key), siblings: count, context: join(after).length },
        "key has many siblings: clients should read and resolve them",
      );
    }
  }
}

/** A stored key as log fields: its namespace and its user key as text. */
function loggedKey(stored: Uint8Array): { namespace?: string; key: string } {
  const decoded = decodeKey(stored);
  if (decoded === undefined) return { key: Buffer.from(stored).toString("utf8") };
  return { namespace: decoded.namespace, key: Buffer.from(decoded.key).toString("utf8") };
}
