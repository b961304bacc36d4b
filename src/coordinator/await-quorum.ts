import type { Clock } from "../clock/clock.js";
import { quorumOutcome } from "../core/quorum.js";
import { QuorumError } from "../errors.js";

/**
 * Waits until `needed` of `calls` succeed, and resolves with the successes so far. Once that can
 * no longer happen it still waits for the outstanding calls (within `timeoutMs`), so the
 * QuorumError reports how many replicas really acknowledged; on timeout it reports those so far.
 * A write that "failed" may still have been stored: the API says so.
 */
export function awaitQuorum<T>(
  calls: readonly Promise<T>[],
  needed: number,
  timeoutMs: number,
  clock: Clock,
  what: "read" | "write",
): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const successes: T[] = [];
    let failures = 0;
    let settled = false;
    const timer = clock.setTimeout(() => finish(new QuorumError(needed, successes.length, what)), timeoutMs);
    function finish(error?: Error): void {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      if (error) reject(error);
      else resolve(successes.slice());
    }
    function check(): void {
      const outcome = quorumOutcome(successes.length, failures, calls.length, needed);
      if (outcome === "done") finish();
      else if (outcome === "failed" && successes.length + failures === calls.length) {
        finish(new QuorumError(needed, successes.length, what));
      }
    }
    check();
    for (const call of calls) {
      call.then(
        (value) => {
          if (settled) return;
          successes.push(value);
          check();
        },
        () => {
          if (settled) return;
          failures += 1;
          check();
        },
      );
    }
  });
}
