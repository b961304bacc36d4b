import { compareLiveness } from "./cluster-state.js";

export type LivenessStatus = "up" | "suspect" | "down";

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

/**
 * With gossip every 200 ms, a heartbeat reaches every node of a small cluster within a round or
 * two, so a crashed node is down everywhere about 3.5 s after its last heartbeat (under the 5 s
 * target) and a 1 s SIGSTOP never gets past "up".
 */
export const defaultFailureDetectorOptions: FailureDetectorOptions = {
  suspectAfterMs: 2000,
  downAfterMs: 3500,
  localPauseMs: 1000,
};

interface Observation {
  generation: number;
  heartbeat: number;
  lastProgressMs: number;
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

  forget(id: string): void {
    this.seen.delete(id);
  }
}
