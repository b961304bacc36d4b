import { setTimeout as sleep } from "node:timers/promises";

/**
 * Spreads operation starts evenly at a target rate shared by all clients: operation n is planned
 * for start + n / rate. A client that is late starts at once, and its latency is counted from the
 * planned start, so a stalled store shows up as latency instead of as fewer requests
 * (coordinated omission).
 */
export class Pacer {
  private issued = 0;
  private readonly intervalMs: number;

  constructor(
    private readonly startMs: number,
    ratePerSecond: number,
  ) {
    this.intervalMs = 1000 / ratePerSecond;
  }

  /** Waits until the next operation's planned start; resolves with that planned start (performance.now() ms). */
  async next(): Promise<number> {
    const plannedMs = this.startMs + this.issued++ * this.intervalMs;
    const waitMs = plannedMs - performance.now();
    if (waitMs >= 1) await sleep(Math.floor(waitMs));
    return plannedMs;
  }
}
