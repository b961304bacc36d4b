import assert from "node:assert/strict";

/**
 * Exponential backoff between failed connection attempts to one peer: min, 2*min, 4*min ... max.
 * A successful handshake resets it. No jitter: each node dials a given peer over one connection,
 * so a restarted node sees at most one reconnect per other node per step, not a herd.
 */
export class ReconnectBackoff {
  private nextDelayMs: number;
  /** Until this time (clock ms) new attempts fail fast instead of dialling. */
  private retryAtMs = 0;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
  ) {
    assert(minMs >= 0 && maxMs >= minMs, "reconnect backoff needs 0 <= min <= max");
    this.nextDelayMs = minMs;
  }

  /** Records a failed attempt at `nowMs`; returns how long the next attempt must wait. */
  failed(nowMs: number): number {
    const delayMs = this.nextDelayMs;
    this.retryAtMs = nowMs + delayMs;
    this.nextDelayMs = Math.min(this.maxMs, Math.max(1, this.nextDelayMs * 2));
    return delayMs;
  }

  succeeded(): void {
    this.nextDelayMs = this.minMs;
    this.retryAtMs = 0;
  }

  /** Milliseconds left before another attempt is allowed (0 if allowed now). */
  waitMs(nowMs: number): number {
    return Math.max(0, this.retryAtMs - nowMs);
  }
}
