import { compareLiveness } from "./cluster-state.js";

export type LivenessStatus = "up" | "suspect" | "down";

/** A node's values are in the option table (src/config/tunable-table.ts). */
export interface FailureDetectorOptions {
  /** No heartbeat progress for this long: suspect (still routed to, but not preferred). */
  suspectAfterMs: number;
  /** No heartbeat progress for this long: down (routed around; hints are kept for it). */
  downAfterMs: number;
  /**
   * If this node's own ticks are further apart than this, this node was paused or starved, not
   * its peers: every peer's silence timer restarts instead of all of them being declared down.
   */
  localPauseMs: number;
}

interface Observation {
  generation: number;
  heartbeat: number;
  lastProgressMs: number;
  /** When the counters last advanced, unlike lastProgressMs never moved by a local pause. */
  advancedAtMs: number;
}

/**
 * Heartbeat-progress failure detection. Pure: fed liveness counters from gossip and the time,
 * it answers up / suspect / down. It changes routing only, never ring ownership.
 */
export class FailureDetector {
  private readonly seen = new Map<string, Observation>();
  private lastTickMs: number | undefined;

  constructor(private readonly options: FailureDetectorOptions) {
    if (!(options.suspectAfterMs > 0 && options.downAfterMs > options.suspectAfterMs)) {
      throw new Error("failure detector needs 0 < suspectAfterMs < downAfterMs");
    }
  }

  /** Records a member's liveness counters as gossip reports them; the first sighting counts as progress. */
  observe(id: string, liveness: { generation: number; heartbeat: number }, nowMs: number): void {
    const previous = this.seen.get(id);
    if (previous === undefined || compareLiveness(liveness, previous) > 0) {
      this.seen.set(id, {
        generation: liveness.generation,
        heartbeat: liveness.heartbeat,
        lastProgressMs: nowMs,
        advancedAtMs: nowMs,
      });
    }
  }

  /** Called on every local tick; detects that this process itself was paused. */
  tick(nowMs: number): void {
    if (this.lastTickMs !== undefined && nowMs - this.lastTickMs > this.options.localPauseMs) {
      for (const observation of this.seen.values()) observation.lastProgressMs = nowMs;
    }
    this.lastTickMs = nowMs;
  }

  status(id: string, nowMs: number): LivenessStatus {
    const observation = this.seen.get(id);
    if (observation === undefined) return "down";
    const silentMs = nowMs - observation.lastProgressMs;
    if (silentMs >= this.options.downAfterMs) return "down";
    if (silentMs >= this.options.suspectAfterMs) return "suspect";
    return "up";
  }

  /**
   * How long a member has been down: the time since it was last heard from once that is past
   * downAfterMs, 0 while it is up or suspect. A member never observed counts 0: there is no time
   * to measure from, and dropping a member from a ring change must rest on an observed silence.
   * A local pause restarts it, like the silence timer.
   */
  downForMs(id: string, nowMs: number): number {
    const observation = this.seen.get(id);
    if (observation === undefined) return 0;
    const silentMs = nowMs - observation.lastProgressMs;
    return silentMs >= this.options.downAfterMs ? silentMs : 0;
  }

  /** When this member's liveness counters last advanced, as observed (undefined: never seen). */
  advancedAtMs(id: string): number | undefined {
    return this.seen.get(id)?.advancedAtMs;
  }

  forget(id: string): void {
    this.seen.delete(id);
  }
}
