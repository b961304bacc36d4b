import type { Clock } from "../clock/clock.js";
import type { RoundOutcome } from "../clock/idle-backoff.js";
import { PeriodicTask } from "../clock/periodic-task.js";
import type { HintRecord, HintStore } from "../coordinator/hint-store.js";
import type { ReplicaAccess } from "../coordinator/replica-access.js";
import type { ReplicaCounts } from "../core/namespace/index.js";
import { decodeStoredObject } from "../core/stored-object.js";
import { NotOwnerError } from "../errors.js";
import type { Logger } from "../log/logger.js";
import type { ClusterView } from "./cluster-view.js";

/** A node's values are in the option table (src/config/tunable-table.ts). */
export interface HandoffOptions {
  /** How often the node looks for hints whose target is up. */
  intervalMs: number;
  /**
   * The slowest pace while this node holds no hint at all. While any is held the pace stays at
   * intervalMs (a target coming back up is served within it), and a stored hint brings it back
   * at once (`hintStored`).
   */
  idleIntervalMaxMs: number;
  /** Hints read and delivered per target per round: the rate limit (keys per interval). */
  batchKeysMax: number;
  /** Hints in flight to one target at once. */
  concurrencyPerTarget: number;
  /** Targets served at once. */
  targetsConcurrentMax: number;
  requestTimeoutMs: number;
  /**
   * A hint not delivered this long after it was first stored is dropped (and counted):
   * anti-entropy repairs what it held. Below the tombstone grace period, so a hint can never
   * bring back a delete whose tombstone was reaped meanwhile (Cassandra's max_hint_window <
   * gc_grace_seconds).
   */
  hintWindowMs: number;
  /** Hints looked at per round by the sweep that drops expired ones, whatever their target's state. */
  expireKeysPerRoundMax: number;
}

export interface HandoffDeps {
  hints: HintStore;
  /** Each key's replica count (its namespace's n); absent: every key has the ring's N. */
  replicaCounts?: ReplicaCounts;
  access: ReplicaAccess;
  view: ClusterView;
  clock: Clock;
  logger: Logger;
  /** `count` hints for `target` were delivered (to it, or to the current home replicas if it left). */
  onDelivered: (target: string, count: number) => void;
  /** `count` hints for `target` were dropped past the hint window. */
  onExpired: (target: string, count: number) => void;
}

/**
 * Delivers hints to their home replica once gossip shows it up: each hint is merged into the
 * target (durably) and deleted here only after that, and only if no newer write was merged into
 * the hint meanwhile. No admin call and no client read is needed.
 */
export class HintedHandoff {
  private readonly task: PeriodicTask;
  private readonly busy = new Set<string>();
  /** Where the expiry sweep resumes; undefined: at the first hint. */
  private sweepAfter: Uint8Array | undefined;
  private sweeping = false;

  constructor(
    private readonly deps: HandoffDeps,
    private readonly options: HandoffOptions,
  ) {
    this.task = new PeriodicTask(
      this.deps.clock,
      this.options.intervalMs,
      () => this.round(),
      (error: unknown) => this.deps.logger.warn({ err: error }, "handoff round failed"),
      this.options.idleIntervalMaxMs,
    );
  }

  /** Whether the node is still a member that should receive its hints. */
  private isMember(id: string): boolean {
    const m = this.deps.view.member(id);
    return m !== undefined && m.state !== "left";
  }

  /** The current home replicas of a key (its namespace's n of them), for hints whose target has left. */
  private homeOf(partition: number, key: Uint8Array): readonly string[] {
    const ring = this.deps.view.ring();
    return ring === undefined ? [] : ring.home(partition, this.deps.replicaCounts?.nOf(key) ?? ring.n);
  }

  start(): void {
    this.task.start();
  }

  stop(): void {
    this.task.stop();
  }

  /** A hint was stored: back to the fast pace, so it is delivered as soon as its target is up. */
  hintStored(): void {
    this.task.kick();
  }

  /** The wait before the next round as it stands (intervalMs unless backed off); for tests. */
  get currentDelayMs(): number {
    return this.task.currentDelayMs;
  }

  private round(): RoundOutcome {
    // No hint held: nothing to deliver and nothing to expire; no storage is touched.
    if (this.deps.hints.total() === 0) return "idle";
    this.sweep();
    for (const target of this.deps.hints.targets().keys()) {
      if (this.busy.size >= this.options.targetsConcurrentMax) return "busy";
      const member = this.isMember(target);
      if (this.busy.has(target) || (member && this.deps.view.status(target) !== "up")) continue;
      this.busy.add(target);
      this.deliver(target)
        .catch((error: unknown) => this.deps.logger.warn({ target, err: error }, "handoff round failed"))
        .finally(() => this.busy.delete(target));
    }
    return "busy";
  }

  /** Drops a bounded number of expired hints per round, resuming where the last round stopped. */
  private sweep(): void {
    if (this.sweeping) return;
    this.sweeping = true;
    this.deps.hints
      .expire(this.options.hintWindowMs, this.options.expireKeysPerRoundMax, this.sweepAfter)
      .then(({ expired, next }) => {
        this.sweepAfter = next;
        for (const [target, count] of expired) this.countExpired(target, count);
      })
      .catch((error: unknown) => this.deps.logger.warn({ err: error }, "hint expiry sweep failed"))
      .finally(() => {
        this.sweeping = false;
      });
  }

  private countExpired(target: string, expired: number): void {
    if (expired === 0) return;
    this.deps.onExpired(target, expired);
    this.deps.logger.info(
      { target, expired, hintWindowMs: this.options.hintWindowMs },
      "undelivered hints past the hint window dropped; anti-entropy repairs what they held",
    );
  }

  private async deliver(target: string): Promise<void> {
    const member = this.isMember(target);
    const oldestKeptMs = this.deps.clock.nowMs() - this.options.hintWindowMs;
    const all = this.deps.hints.pending(target, this.options.batchKeysMax);
    // A hint past the window is never delivered, even before the sweep reaches it.
    const records = all.filter((r) => r.storedAtMs > oldestKeptMs);
    let expired = 0;
    for (const r of all)
      if (r.storedAtMs <= oldestKeptMs && (await this.deps.hints.removeIfUnchanged(target, r))) expired += 1;
    this.countExpired(target, expired);
    let delivered = 0;
    let failed = 0;
    const queue = [...records];
    const worker = async (): Promise<void> => {
      for (let record = queue.shift(); record !== undefined; record = queue.shift()) {
        const ok = member ? await this.deliverOne(target, record) : await this.redirect(target, record);
        if (ok) delivered += 1;
        else failed += 1;
        // A target that stops answering ends this round; the next round retries.
        if (member && failed > 0 && this.deps.view.status(target) !== "up") return;
      }
    };
    await Promise.all(Array.from({ length: this.options.concurrencyPerTarget }, worker));
    if (delivered > 0) {
      this.deps.onDelivered(target, delivered);
      this.deps.logger.info(
        { target, keys: delivered, failed, remaining: this.deps.hints.targets().get(target) ?? 0 },
        "handoff done",
      );
    }
  }

  /**
   * The target left or was removed: its hints go to the key's current home replicas instead
   * (every one that is up, at least one), so a write acknowledged with the help of a hint is not
   * lost with the node it was meant for.
   */
  private async redirect(target: string, record: HintRecord): Promise<boolean> {
    const ringVersion = this.deps.view.ring()?.version;
    const home = this.homeOf(record.partition, record.key).filter((id) => this.deps.view.status(id) === "up");
    const object = decodeStoredObject(record.object);
    const results = await Promise.all(
      home.map((id) =>
        this.deps.access
          .replicate(id, record.partition, record.key, object, this.options.requestTimeoutMs, ringVersion)
          .then(
            () => true,
            () => false,
          ),
      ),
    );
    if (!results.includes(true)) return false;
    await this.deps.hints.removeIfUnchanged(target, record);
    return true;
  }

  private async deliverOne(target: string, record: HintRecord): Promise<boolean> {
    try {
      const object = decodeStoredObject(record.object);
      // No ring version: the target judges by its own ring alone whether it still owns the key.
      await this.deps.access.replicate(
        target,
        record.partition,
        record.key,
        object,
        this.options.requestTimeoutMs,
      );
      await this.deps.hints.removeIfUnchanged(target, record);
      return true;
    } catch (error) {
      // The target is no replica of the partition any more (the ring moved while the hint
      // waited): the key's current home replicas take it instead.
      if (error instanceof NotOwnerError) return this.redirect(target, record);
      return false;
    }
  }
}
