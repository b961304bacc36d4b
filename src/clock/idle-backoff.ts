/**
 * How a background loop paces itself: at `intervalMs` while it finds work, and, while it finds
 * none, twice as long after each idle round up to `idleIntervalMaxMs`. A loop that has nothing to
 * do then costs a wake-up every few seconds instead of several a second, and a trigger (a write, a
 * ring change, a hint stored) brings it back to `intervalMs` at once (PeriodicTask.kick).
 */
export interface IdleBackoff {
  /** The pace while there is work, and the first pace after a trigger. */
  intervalMs: number;
  /** The slowest pace while idle; equal to intervalMs: no backoff. */
  idleIntervalMaxMs: number;
}

/** What one round found: work (stay at the fast pace) or nothing (slow down). */
export type RoundOutcome = "busy" | "idle";

/** The delay before the round after one that took `currentMs` and found `outcome`. */
export function nextDelayMs(currentMs: number, outcome: RoundOutcome, backoff: IdleBackoff): number {
  if (outcome === "busy") return backoff.intervalMs;
  return Math.min(backoff.idleIntervalMaxMs, Math.max(backoff.intervalMs, currentMs * 2));
}
