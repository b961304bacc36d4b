import assert from "node:assert/strict";
import type { Clock, TimerHandle } from "../../src/clock/clock.js";

interface Timer {
  readonly atMs: number;
  /** Insertion order: timers due at the same time fire in the order they were set. */
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/**
 * Virtual time for a whole simulated cluster. Nothing moves unless the driver calls `run*`: it
 * fires the earliest timer (ties in the order they were set), sets the time to its due time, and
 * lets every promise callback that follows run to completion before the next timer. Real time
 * never matters, so a run is a function of its seed.
 */
export class SimClock implements Clock {
  private now = 0;
  private seq = 0;
  private readonly heap: Timer[] = [];
  private live = 0;
  /** Timer callbacks fired so far (a measure of how much the run did). */
  fired = 0;
  /** Called after every event once its promise callbacks ran (debugging aids only). */
  afterEach: (() => void) | undefined;

  constructor(private readonly onTimerError: (error: unknown) => void) {}

  nowMs(): number {
    return this.now;
  }

  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    assert(Number.isFinite(delayMs), `a timer delay is a finite number, got ${delayMs}`);
    const timer: Timer = { atMs: this.now + Math.max(0, delayMs), seq: this.seq++, fn, cancelled: false };
    this.push(timer);
    this.live += 1;
    return { id: timer };
  }

  clearTimeout(handle: TimerHandle): void {
    const timer = handle.id as Timer;
    if (timer.cancelled) return;
    timer.cancelled = true;
    this.live -= 1;
  }

  /** Timers set and neither fired nor cancelled. */
  get pendingTimers(): number {
    return this.live;
  }

  /** A promise resolved after `ms` of virtual time. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }

  /** Runs every timer due up to `untilMs`, then sets the time to `untilMs`. */
  async runUntil(untilMs: number): Promise<void> {
    await settle();
    for (;;) {
      const next = this.peek();
      if (next === undefined || next.atMs > untilMs) break;
      await this.fireNext();
    }
    if (untilMs > this.now) this.now = untilMs;
  }

  async runFor(ms: number): Promise<void> {
    await this.runUntil(this.now + ms);
  }

  /** Runs timers while `keepGoing()` holds (checked after each timer), up to `untilMs`; true when it stopped holding. */
  async runWhile(keepGoing: () => boolean, untilMs: number): Promise<boolean> {
    await settle();
    while (keepGoing()) {
      const next = this.peek();
      if (next === undefined || next.atMs > untilMs) {
        if (untilMs > this.now) this.now = untilMs;
        return !keepGoing();
      }
      await this.fireNext();
    }
    return true;
  }

  private async fireNext(): Promise<void> {
    const timer = this.pop();
    assert(timer !== undefined && !timer.cancelled);
    this.live -= 1;
    timer.cancelled = true;
    this.now = timer.atMs;
    this.fired += 1;
    try {
      timer.fn();
    } catch (error) {
      this.onTimerError(error);
    }
    await settle();
    this.afterEach?.();
  }

  /** The earliest live timer, dropping cancelled ones from the top of the heap. */
  private peek(): Timer | undefined {
    for (;;) {
      const top = this.heap[0];
      if (top === undefined || !top.cancelled) return top;
      this.pop();
    }
  }

  private push(timer: Timer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(timer, heap[parent] as Timer)) break;
      heap[i] = heap[parent] as Timer;
      i = parent;
    }
    heap[i] = timer;
  }

  private pop(): Timer | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && before(heap[right] as Timer, heap[left] as Timer) ? right : left;
      if (!before(heap[child] as Timer, last)) break;
      heap[i] = heap[child] as Timer;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
}

/**
 * Lets every queued promise callback (and process.nextTick) run: they all run before the next
 * macrotask. Only the driver waits on real time, and only for this.
 */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
