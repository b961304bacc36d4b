import type { Clock } from "../clock/clock.js";
import type { RoundOutcome } from "../clock/idle-backoff.js";
import { PeriodicTask } from "../clock/periodic-task.js";
import type { LocalReplica } from "../coordinator/local-replica.js";
import type { ReplicaAccess } from "../coordinator/replica-access.js";
import { values } from "../core/causality/index.js";
import { isDeadAt } from "../core/expiry.js";
import type { ReplicaCounts } from "../core/namespace/index.js";
import { decodeStoredObject, type StoredObject } from "../core/stored-object.js";
import type { Logger } from "../log/logger.js";
import type { StorageEngine } from "../storage/engine.js";
import { splitObjectKey } from "../storage/object-key.js";
import type { ClusterView } from "./cluster-view.js";

/** A node's values are in the option table (src/config/tunable-table.ts). */
export interface TombstoneOptions {
  /**
   * A tombstone is kept at least this long after the delete. It must outlast every way an older
   * version can still arrive (a hint held for a replica that was down, a partition): once reaped,
   * nothing remembers that the older version was deleted.
   */
  graceMs: number;
  /** How often the reaper looks at the next batch of keys. */
  intervalMs: number;
  /**
   * The slowest pace while rounds see no key that is or may become dead (no tombstone, no value
   * with a deadline): a store of live keys has nothing to reap, and a delete or an expiring write
   * (the replica's change listener) brings the pace back to intervalMs at once.
   */
  idleIntervalMaxMs: number;
  /**
   * Keys looked at per round (the scan resumes where it stopped). A round decodes each key it
   * looks at in one go on the event loop, so rounds are kept small and frequent: 1000 keys once a
   * second held each node's loop for milliseconds and showed in request p99 (BENCHMARKS.md).
   */
  keysPerRoundMax: number;
  requestTimeoutMs: number;
}

export interface ReaperDeps {
  selfId: string;
  /** Each key's replica count (its namespace's n); absent: every key has the ring's N. */
  replicaCounts?: ReplicaCounts;
  storage: StorageEngine;
  replica: LocalReplica;
  access: ReplicaAccess;
  view: ClusterView;
  clock: Clock;
  logger: Logger;
  onReaped: (count: number) => void;
}

/** Whether an object is, or may become, dead: a tombstone or a value with a deadline among its siblings. */
function mayDie(object: StoredObject): boolean {
  for (const e of object.entries)
    for (const s of e.values) if (s.deleted || s.expiresAtMs !== undefined) return true;
  return false;
}

/**
 * Deletes tombstones for good once the grace period passed and every home replica of the key
 * holds the same tombstone (or already reaped it). A replica that is down blocks reaping, so a
 * replica that missed the delete cannot bring the old value back: it gets the tombstone first.
 * An expired version (core/expiry.ts) counts as a tombstone written when it was written: it
 * superseded what the write's context covered exactly as a delete would have, so the same grace
 * (from the write) and the same everywhere-check keep an older copy from coming back once the
 * key is gone, and expired keys cost no tunables of their own.
 */
export class TombstoneReaper {
  private readonly task: PeriodicTask;
  private resumeAfter: Uint8Array | undefined;

  constructor(
    private readonly deps: ReaperDeps,
    private readonly options: TombstoneOptions,
  ) {
    this.task = new PeriodicTask(
      this.deps.clock,
      this.options.intervalMs,
      () => this.round(),
      (error: unknown) => this.deps.logger.warn({ err: error }, "tombstone reaping failed"),
      this.options.idleIntervalMaxMs,
    );
    this.deps.replica.onChange((_partition, _key, _before, after) => {
      if (after !== undefined && mayDie(after)) this.task.kick();
    });
  }

  /** The wait before the next round as it stands (intervalMs unless backed off); for tests. */
  get currentDelayMs(): number {
    return this.task.currentDelayMs;
  }

  start(): void {
    this.task.start();
  }

  stop(): void {
    this.task.stop();
  }

  private async round(): Promise<RoundOutcome> {
    const candidates: { partition: number; key: Uint8Array; object: StoredObject }[] = [];
    const nowMs = this.deps.clock.nowMs();
    const cutoffMs = nowMs - this.options.graceMs;
    let seen = 0;
    let mortal = 0;
    let last: Uint8Array | undefined;
    for (const [storageKey, bytes] of this.deps.storage.scan(
      "objects",
      this.resumeAfter === undefined ? {} : { start: this.resumeAfter },
    )) {
      if (this.resumeAfter !== undefined && Buffer.from(storageKey).equals(Buffer.from(this.resumeAfter)))
        continue;
      if (++seen > this.options.keysPerRoundMax) break;
      last = storageKey;
      const object = decodeStoredObject(bytes);
      if (mayDie(object)) mortal += 1;
      if (!isDeadAt(object, nowMs)) continue;
      if (values(object).some((s) => s.writtenAtMs > cutoffMs)) continue;
      candidates.push({ ...splitObjectKey(storageKey), object });
    }
    // Wrap around at the end of the store.
    this.resumeAfter = seen > this.options.keysPerRoundMax ? last : undefined;
    let reaped = 0;
    for (const c of candidates)
      if (await this.reapIfEverywhere(c.partition, c.key, c.object, nowMs)) reaped += 1;
    if (reaped > 0) {
      this.deps.onReaped(reaped);
      this.deps.logger.info({ keys: reaped }, "tombstones reaped");
    }
    return mortal > 0 ? "busy" : "idle";
  }

  private async reapIfEverywhere(
    partition: number,
    key: Uint8Array,
    object: StoredObject,
    nowMs: number,
  ): Promise<boolean> {
    const ring = this.deps.view.ring();
    if (ring === undefined) return false;
    // Every home replica of the key: its namespace's n of them.
    const home = ring.home(partition, this.deps.replicaCounts?.nOf(key) ?? ring.n);
    for (const id of home) {
      if (id === this.deps.selfId) continue;
      if (this.deps.view.status(id) !== "up") return false;
      try {
        const theirs = await this.deps.access.read(id, partition, key, this.options.requestTimeoutMs);
        // Another replica that already reaped it agrees; one that holds anything else does not.
        if (theirs !== undefined && !this.deps.replica.conflicts.same(theirs, object)) return false;
      } catch {
        return false;
      }
    }
    return this.deps.replica.reap(partition, key, object, nowMs);
  }
}
