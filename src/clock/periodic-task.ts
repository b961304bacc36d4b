import type { Clock, TimerHandle } from "./clock.js";
import { nextDelayMs } from "./idle-backoff.js";

/**
 * Runs `run` every `intervalMs` until stopped. A run still in progress when the next one is due
 * is not overlapped: that tick is skipped, so a slow round (a slow peer, a slow disk) never piles
 * up concurrent copies of itself. Errors go to `onError`; the task keeps running.
 *
 * With `idleIntervalMaxMs` above `intervalMs`, a run that resolves to "idle" (it found nothing to
 * do) doubles the wait before the next one, up to idleIntervalMaxMs (idle-backoff.ts); a run that
 * resolves to anything else, or `kick()`, brings the pace back to intervalMs. An idle node then
 * wakes each loop every few seconds instead of several times a second.
 */
export class PeriodicTask {
  private timer: TimerHandle | undefined;
  private dueMs = 0;
  private delayMs: number;
  private running = false;
  private busy = false;
  private kickedWhileBusy = false;
  private readonly idleIntervalMaxMs: number;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    /** Resolves to "idle" when it found nothing to do; anything else counts as work done. */
    private readonly run: () => unknown,
    private readonly onError: (error: unknown) => void,
    idleIntervalMaxMs?: number,
  ) {
    if (!(intervalMs > 0)) throw new Error(`a periodic task needs a positive interval, got ${intervalMs}`);
    this.idleIntervalMaxMs = Math.max(intervalMs, idleIntervalMaxMs ?? intervalMs);
    this.delayMs = intervalMs;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The wait before the next run as it stands (intervalMs unless backed off). */
  get currentDelayMs(): number {
    return this.delayMs;
  }

  /**
   * Something happened that may give the task work: back to intervalMs, and a backed-off timer
   * due later than intervalMs from now is brought forward to it. Cheap when already at pace, so
   * it may be called on every write.
   */
  kick(): void {
    // The run in flight may already have passed over what the trigger announces.
    if (this.busy) this.kickedWhileBusy = true;
    if (this.delayMs === this.intervalMs) return;
    this.delayMs = this.intervalMs;
    if (!this.running || this.timer === undefined) return;
    if (this.dueMs - this.clock.nowMs() <= this.intervalMs) return;
    this.clock.clearTimeout(this.timer);
    this.schedule();
  }

  private schedule(): void {
    if (!this.running) return;
    this.dueMs = this.clock.nowMs() + this.delayMs;
    this.timer = this.clock.setTimeout(() => {
      this.tick();
      this.schedule();
    }, this.delayMs);
  }

  private tick(): void {
    if (this.busy) return;
    this.busy = true;
    this.kickedWhileBusy = false;
    Promise.resolve()
      .then(this.run)
      .then((outcome) => {
        // A kick while the run was in flight wins over the run's own "idle".
        const idle = outcome === "idle" && !this.kickedWhileBusy;
        if (this.idleIntervalMaxMs > this.intervalMs)
          this.delayMs = nextDelayMs(this.delayMs, idle ? "idle" : "busy", {
            intervalMs: this.intervalMs,
            idleIntervalMaxMs: this.idleIntervalMaxMs,
          });
      })
      .catch(this.onError)
      .finally(() => {
        this.busy = false;
      });
  }
}
