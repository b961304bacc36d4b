import type { Clock } from "../clock/clock.js";
import type { RoundOutcome } from "../clock/idle-backoff.js";
import { PeriodicTask } from "../clock/periodic-task.js";
import type { LocalReplica } from "../coordinator/local-replica.js";
import type { ReplicaAccess } from "../coordinator/replica-access.js";
import { type ReplicaCounts, uniformReplicaCounts } from "../core/namespace/index.js";
import { homeOf } from "../core/ring/index.js";
import { decodeStoredObject, type StoredObject } from "../core/stored-object.js";
import type { Logger } from "../log/logger.js";
import type { StorageEngine } from "../storage/engine.js";
import { objectKey, partitionRange, partitionScan } from "../storage/object-key.js";
import type { ClusterView } from "./cluster-view.js";
import { mayDrop, staleCopies } from "./reclaim-decision.js";

/** A node's values are in the option table (src/config/tunable-table.ts). */
export interface ReclaimOptions {
  /** How often the node looks for stale copies (partitions it holds but is no home replica of). */
  intervalMs: number;
  /** Keys handed over and deleted per batch. */
  batchKeysMax: number;
  /** Keys of a batch handed over at once (each to every home replica). */
  keysInFlightMax: number;
  /** Wait between two batches, so a large reclaim leaves room for client requests. */
  batchPauseMs: number;
  /** Keys one round reclaims at most; the next round goes on. */
  keysPerRoundMax: number;
  requestTimeoutMs: number;
  /**
   * The slowest pace while this node holds no stale copy and no ring change is pending: stale
   * copies appear only when a ring change completes, and `ringChanged` brings the pace back.
   */
  idleIntervalMaxMs: number;
}

export interface ReclaimDeps {
  selfId: string;
  /** The cluster's N, for a ring of fewer distinct owners the ring's own. */
  n: number;
  partitions: number;
  storage: StorageEngine;
  replica: LocalReplica;
  access: ReplicaAccess;
  view: ClusterView;
  clock: Clock;
  logger: Logger;
  onReclaimed: (keys: number) => void;
  /** A partition this node no longer holds any object of: its derived state is dropped. */
  onPartitionEmptied: (partition: number) => void;
  /**
   * Each key's replica count (its namespace's n): a key is stale here when this node is outside
   * the first n of its partition's preference list. Absent: every key has the ring's N.
   */
  replicaCounts?: ReplicaCounts;
}

/** A filtered batch reads at most this many keys per key it may return, so one step stays bounded. */
const SCAN_KEYS_PER_BATCH_KEY = 16;

/**
 * Reclaim: once no ring change is pending, a partition this node still holds but is no home
 * replica of (it gave it away) is deleted here, batch by batch. Each key is first handed to every
 * current home replica (an idempotent merge) and deleted only once all of them acknowledged it and
 * only if it did not change meanwhile, so no version is lost even if a transfer missed one. A home
 * replica that cannot be reached stops the partition for this round.
 *
 * With namespaces of their own n, a partition can be stale here for some keys only (this node is
 * among the first 3 but not the first 2: an n=2 namespace's keys go). Such a partition is scanned
 * for those keys once per ring and replica counts; found clean, it is not scanned again until
 * either changes (stale keys appear only through a ring change or an n change).
 */
export class PartitionReclaim {
  private readonly task: PeriodicTask;
  /** Keys deleted since this node started. */
  reclaimed = 0;
  private readonly counts: ReplicaCounts;
  /** Whether the last round found a stale copy held here (or no ring yet): the fast pace stays. */
  private staleHeld = true;

  constructor(
    private readonly deps: ReclaimDeps,
    private readonly options: ReclaimOptions,
  ) {
    this.counts = this.deps.replicaCounts ?? uniformReplicaCounts(this.deps.n);
    this.task = new PeriodicTask(
      this.deps.clock,
      this.options.intervalMs,
      async (): Promise<RoundOutcome> => {
        await this.round();
        return this.staleHeld ? "busy" : "idle";
      },
      (error: unknown) => this.deps.logger.warn({ err: error }, "partition reclaim round failed"),
      this.options.idleIntervalMaxMs,
    );
  }

  start(): void {
    this.task.start();
  }

  stop(): void {
    this.task.stop();
  }

  /** The ring or a membership state changed: stale copies may appear, so back to the fast pace. */
  ringChanged(): void {
    this.task.kick();
  }

  /**
   * A copy of this partition may have come in that this node should not keep (a write under a
   * larger n than it knows the key's namespace has): a partition found clean is looked at again.
   */
  recheck(partition: number): void {
    if (this.clean.delete(partition)) this.task.kick();
  }

  /** The partitions this node holds at least one object of. */
  heldPartitions(): number[] {
    const held: number[] = [];
    for (let p = 0; p < this.deps.partitions; p++) {
      for (const _ of this.deps.storage.scan("objects", { ...partitionRange(p), limit: 1 })) {
        held.push(p);
        break;
      }
    }
    return held;
  }

  /** One round; resolves with the keys deleted (exposed for tests). */
  async round(): Promise<number> {
    const ring = this.deps.view.state().ring;
    const counts = this.counts.inUse();
    // No copy is stale before a first ring or while a change is pending: no scan then.
    const held = ring === null || ring.next !== null ? [] : this.heldPartitions();
    const signature = `${ring?.version ?? 0}/${this.counts.version}`;
    if (this.cleanSignature !== signature) {
      this.clean.clear();
      this.cleanSignature = signature;
    }
    const stale = staleCopies(ring, counts, this.deps.selfId, held).filter(
      (s) => s.whole || !this.clean.has(s.partition),
    );
    // A pending change (ring.next) makes no copy stale yet, but will on completing: keep pace.
    this.staleHeld = ring === null || ring.next !== null || stale.length > 0;
    if (ring === null || stale.length === 0) return 0;
    const version = ring.version;
    let budget = this.options.keysPerRoundMax;
    let total = 0;
    for (const copy of stale) {
      if (budget <= 0) break;
      const p = copy.partition;
      const only = copy.whole ? undefined : new Set(copy.counts);
      let after: Uint8Array | undefined;
      let found = 0;
      let finished = false;
      while (budget > 0) {
        // A change that began meanwhile may make this node a home replica again, or a source.
        const now = this.deps.view.state().ring;
        if (now === null || now.version !== version || now.next !== null) return total;
        const step = this.batch(p, after, Math.min(budget, this.options.batchKeysMax), only);
        budget -= Math.max(1, step.items.length);
        found += step.items.length;
        if (step.items.length > 0) {
          const groups = this.byHomes(ring.owners, p, step.items);
          // A home replica that is not up stops the partition for this round (nothing dropped).
          if (![...groups.values()].every((g) => g.homes.every((id) => this.deps.view.status(id) === "up")))
            break;
          let dropped = 0;
          for (const group of groups.values()) dropped += await this.handOver(p, group.homes, group.items);
          total += dropped;
          if (dropped > 0) {
            this.reclaimed += dropped;
            this.deps.onReclaimed(dropped);
          }
          // Nothing deleted: a home replica refused or keys keep changing; try again next round.
          if (dropped === 0) break;
          await this.pause();
        }
        // A whole partition is read from its start each time: what was dropped is gone, and a
        // key that changed during its hand-over is handed over again in the next batch. Within a
        // partition kept in part, the kept keys stay, so the batches walk on from the last one.
        if (copy.whole ? step.items.length === 0 : step.end) {
          finished = true;
          break;
        }
        if (!copy.whole) after = step.last;
      }
      if (!finished) continue;
      if (copy.whole) {
        if (this.heldNothingOf(p)) {
          this.deps.onPartitionEmptied(p);
          this.deps.logger.info({ partition: p, version }, "stale partition copy reclaimed");
        }
      } else if (found === 0) {
        this.clean.add(p);
      } else {
        this.deps.logger.info(
          { partition: p, version, counts: copy.counts, keys: found },
          "stale keys of namespaces with their own n reclaimed",
        );
      }
    }
    return total;
  }

  /** Partitions found holding no stale key under `cleanSignature` (ring version / counts version). */
  private readonly clean = new Set<number>();
  private cleanSignature = "";

  private heldNothingOf(partition: number): boolean {
    for (const _ of this.deps.storage.scan("objects", { ...partitionRange(partition), limit: 1 }))
      return false;
    return true;
  }

  /** The keys of a batch grouped by their home replicas (one group per replica count). */
  private byHomes(
    owners: readonly string[],
    partition: number,
    items: readonly { key: Uint8Array; bytes: Uint8Array }[],
  ): Map<number, { homes: string[]; items: { key: Uint8Array; bytes: Uint8Array }[] }> {
    const groups = new Map<number, { homes: string[]; items: { key: Uint8Array; bytes: Uint8Array }[] }>();
    for (const item of items) {
      const n = this.counts.nOf(item.key);
      let group = groups.get(n);
      if (group === undefined) {
        group = { homes: homeOf(owners, partition, n), items: [] };
        groups.set(n, group);
      }
      group.items.push(item);
    }
    return groups;
  }

  /**
   * Up to `limit` stale keys of a partition after `after` (with `only`, keys of those replica
   * counts alone, reading at most SCAN_KEYS_PER_BATCH_KEY x limit keys).
   */
  private batch(
    partition: number,
    after: Uint8Array | undefined,
    limit: number,
    only: ReadonlySet<number> | undefined,
  ) {
    const step = partitionScan(
      this.deps.storage,
      partition,
      after,
      (key) => only === undefined || only.has(this.counts.nOf(key)),
      { itemsMax: limit, scannedMax: limit * SCAN_KEYS_PER_BATCH_KEY },
    );
    return { ...step, items: step.items.map(([key, bytes]) => ({ key, bytes })) };
  }

  /** Hands every key of the batch to every home replica; deletes the acknowledged, unchanged ones. */
  private async handOver(
    partition: number,
    homes: readonly string[],
    batch: readonly { key: Uint8Array; bytes: Uint8Array }[],
  ): Promise<number> {
    let dropped = 0;
    for (let i = 0; i < batch.length; i += this.options.keysInFlightMax) {
      const slice = batch.slice(i, i + this.options.keysInFlightMax);
      const results = await Promise.all(slice.map((item) => this.handOverOne(partition, homes, item)));
      dropped += results.filter(Boolean).length;
    }
    return dropped;
  }

  private async handOverOne(
    partition: number,
    homes: readonly string[],
    item: { key: Uint8Array; bytes: Uint8Array },
  ): Promise<boolean> {
    let object: StoredObject;
    try {
      object = decodeStoredObject(item.bytes);
    } catch (error) {
      // Kept: anti-entropy and the operator see it; deleting it unread could lose a version.
      this.deps.logger.warn(
        { partition, err: error },
        "partition reclaim: an object that does not decode is kept",
      );
      return false;
    }
    const acked = new Set<string>();
    await Promise.all(
      homes.map(async (id) => {
        try {
          await this.deps.access.replicate(id, partition, item.key, object, this.options.requestTimeoutMs);
          acked.add(id);
        } catch (error) {
          this.deps.logger.debug(
            { partition, target: id, err: error },
            "partition reclaim: hand-over failed",
          );
        }
      }),
    );
    const current = this.deps.storage.get("objects", objectKey(partition, item.key));
    if (!mayDrop(homes, acked, item.bytes, current)) return false;
    return this.deps.replica.drop(partition, item.key, item.bytes);
  }

  private pause(): Promise<void> {
    if (this.options.batchPauseMs <= 0) return Promise.resolve();
    return new Promise((resolve) => this.deps.clock.setTimeout(resolve, this.options.batchPauseMs));
  }
}
