import assert from "node:assert/strict";
import type { Clock, TimerHandle } from "../../src/clock/clock.js";

/**
 * Real time with ordinary (ref'd) timers. systemClock unrefs its timers so they never keep a
 * stopping process alive; a test awaiting only an in-memory delivery would then see node:test end
 * the run under it, so the in-memory suite uses this clock.
 */
export const refClock: Clock = {
  nowMs: () => Date.now(),
  setTimeout: (fn, delayMs) => ({ id: setTimeout(fn, delayMs) }),
  clearTimeout: (handle) => clearTimeout(handle.id as NodeJS.Timeout),
};

interface VirtualTimer {
  atMs: number;
  seq: number;
  fn: () => void;
}

/** Virtual time that moves only when a test calls advance(); timers fire in time order, ties in set order. */
export class ManualClock implements Clock {
  private now = 0;
  private seq = 0;
  private readonly timers = new Map<number, VirtualTimer>();

  nowMs(): number {
    return this.now;
  }

  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    assert(delayMs >= 0, "a timer delay is never negative");
    const seq = this.seq++;
    this.timers.set(seq, { atMs: this.now + delayMs, seq, fn });
    return { id: seq };
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle.id as number);
  }

  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Fires every timer due within `ms`, letting promise callbacks settle after each. */
  async advance(ms: number): Promise<void> {
    const targetMs = this.now + ms;
    for (;;) {
      await settle();
      let next: VirtualTimer | undefined;
      for (const timer of this.timers.values()) {
        if (timer.atMs > targetMs) continue;
        if (
          next === undefined ||
          timer.atMs < next.atMs ||
          (timer.atMs === next.atMs && timer.seq < next.seq)
        )
          next = timer;
      }
      if (next === undefined) break;
      this.timers.delete(next.seq);
      this.now = next.atMs;
      next.fn();
    }
    this.now = targetMs;
    await settle();
  }
}

/** Lets every queued promise callback run (one macrotask turn). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
