import type { Clock } from "../clock/clock.js";
import { PeriodicTask } from "../clock/periodic-task.js";
import type { HintRecord, HintStore } from "../coordinator/hint-store.js";
import type { ReplicaAccess } from "../coordinator/replica-access.js";
import { decodeStoredObject } from "../core/stored-object.js";
import type { Logger } from "../log/logger.js";
import type { ClusterView } from "./cluster-view.js";

/** A node's values are in the option table (src/config/tunable-table.ts). */
export interface HandoffOptions {
  /** How often the node looks for hints whose target is up. */
  intervalMs: number;
  /** Hints read and delivered per target per round: the rate limit (keys per interval). */
  batchKeysMax: number;
  /** Hints in flight to one target at once. */
  concurrencyPerTarget: number;
  /** Targets served at once. */
  targetsConcurrentMax: number;
  requestTimeoutMs: number;
}

export interface HandoffDeps {
  hints: HintStore;
  access: ReplicaAccess;
  view: ClusterView;
  clock: Clock;
  logger: Logger;
  onDelivered: (count: number) => void;
}

/**
 * Delivers hints to their home replica once gossip shows it up: each hint is merged into the
 * target (durably) and deleted here only after that, and only if no newer write was merged into
 * the hint meanwhile. No admin call and no client read is needed.
 */
export class HintedHandoff {
  private readonly task: PeriodicTask;
  private readonly busy = new Set<string>();

  constructor(
    private readonly deps: HandoffDeps,
    private readonly options: HandoffOptions,
  ) {
    this.task = new PeriodicTask(
      this.deps.clock,
      this.options.intervalMs,
      () => this.round(),
      (error: unknown) => this.deps.logger.warn({ err: error }, "handoff round failed"),
    );
  }

  /** Whether the node is still a member that should receive its hints. */
  private isMember(id: string): boolean {
    const m = this.deps.view.member(id);
    return m !== undefined && m.state !== "left";
  }

  /** The current home replicas of a partition, for hints whose target has left. */
  private homeOf(partition: number): readonly string[] {
    const ring = this.deps.view.ring();
    return ring === undefined ? [] : ring.preferenceList(partition).slice(0, ring.n);
  }

  start(): void {
    this.task.start();
  }

  stop(): void {
    this.task.stop();
  }

  private round(): void {
    for (const target of this.deps.hints.targets().keys()) {
      if (this.busy.size >= this.options.targetsConcurrentMax) return;
      const member = this.isMember(target);
      if (this.busy.has(target) || (member && this.deps.view.status(target) !== "up")) continue;
      this.busy.add(target);
      this.deliver(target)
        .catch((error: unknown) => this.deps.logger.warn({ target, err: error }, "handoff round failed"))
        .finally(() => this.busy.delete(target));
    }
  }

  private async deliver(target: string): Promise<void> {
    const member = this.isMember(target);
    const records = this.deps.hints.pending(target, this.options.batchKeysMax);
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
      this.deps.onDelivered(delivered);
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
    const home = this.homeOf(record.partition).filter((id) => this.deps.view.status(id) === "up");
    const object = decodeStoredObject(record.bytes);
    const results = await Promise.all(
      home.map((id) =>
        this.deps.access
          .replicate(id, record.partition, record.key, object, this.options.requestTimeoutMs)
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
      const object = decodeStoredObject(record.bytes);
      await this.deps.access.replicate(
        target,
        record.partition,
        record.key,
        object,
        this.options.requestTimeoutMs,
      );
      await this.deps.hints.removeIfUnchanged(target, record);
      return true;
    } catch {
      return false;
    }
  }
}
