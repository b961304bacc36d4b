import type { Clock } from "../clock/clock.js";
import { PeriodicTask } from "../clock/periodic-task.js";
import type { ClusterView } from "../cluster/cluster-view.js";
import type { HintStore } from "../coordinator/hint-store.js";
import type { Logger } from "../log/logger.js";

export interface DepartureDeps {
  selfId: string;
  view: ClusterView;
  hints: HintStore;
  /** Whether some peer is known to hold this node's own state as it is now (Gossiper.peerKnowsSelf). */
  peerKnowsSelf: () => boolean;
  clock: Clock;
  logger: Logger;
}

/** A node's values are in the option table (src/config/tunable-table.ts). */
export interface DepartureOptions {
  /** How often the node checks whether it has left. */
  checkIntervalMs: number;
  /** A node that left waits at most this long for its hints to be delivered and its departure to be known. */
  handOverTimeoutMs: number;
}

/**
 * Watches for this node's departure: once it is `left` (after a leave, or removed) and out of
 * the ring, it delivers its hints and makes sure a peer knows it left (bounded wait), then
 * resolves `departed`. A node restarted after it had left finds itself left in its stored state
 * and departs the same way.
 */
export class Departure {
  readonly departed: Promise<void>;
  private markDeparted: () => void = () => {};
  private deadlineMs: number | undefined;
  private readonly task: PeriodicTask;

  constructor(
    private readonly deps: DepartureDeps,
    options: DepartureOptions,
  ) {
    this.departed = new Promise((resolve) => {
      this.markDeparted = resolve;
    });
    this.task = new PeriodicTask(
      deps.clock,
      options.checkIntervalMs,
      () => this.check(options.handOverTimeoutMs),
      (error: unknown) => deps.logger.warn({ err: error }, "departure check failed"),
    );
  }

  start(): void {
    this.task.start();
  }

  stop(): void {
    this.task.stop();
  }

  private check(handOverTimeoutMs: number): void {
    const now = this.deps.clock.nowMs();
    if (this.deadlineMs === undefined) {
      const self = this.deps.view.member(this.deps.selfId);
      const inRing = this.deps.view.state().ring?.owners.includes(this.deps.selfId) !== false;
      if (self?.state !== "left" || inRing) return;
      this.deadlineMs = now + handOverTimeoutMs;
    }
    const handedOver = this.deps.hints.total() === 0 && this.deps.peerKnowsSelf();
    if (!handedOver && now < this.deadlineMs) return;
    this.deps.logger.info({ hintsLeft: this.deps.hints.total() }, "left the cluster");
    this.task.stop();
    this.markDeparted();
  }
}
