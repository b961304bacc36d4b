import type { Clock, TimerHandle } from "./clock.js";

/**
 * Runs `run` every `intervalMs` until stopped. A run still in progress when the next one is due
 * is not overlapped: that tick is skipped, so a slow round (a slow peer, a slow disk) never piles
 * up concurrent copies of itself. Errors go to `onError`; the task keeps running.
 */
export class PeriodicTask {
  private timer: TimerHandle | undefined;
  private running = false;
  private busy = false;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly run: () => Promise<void> | void,
    private readonly onError: (error: unknown) => void,
  ) {
    if (!(intervalMs > 0)) throw new Error(`a periodic task needs a positive interval, got ${intervalMs}`);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = this.clock.setTimeout(() => {
      this.tick();
      this.schedule();
    }, this.intervalMs);
  }

  private tick(): void {
    if (this.busy) return;
    this.busy = true;
    Promise.resolve()
      .then(this.run)
      .catch(this.onError)
      .finally(() => {
        this.busy = false;
      });
  }
}
