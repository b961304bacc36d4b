import type { Clock } from "../clock/clock.js";
import { slotOutcome } from "../core/quorum.js";
import { QuorumError } from "../errors.js";

/** One home slot's answer: from the home replica itself (primary) or from a fallback for it. */
export interface SlotReply<T> {
  nodeId: string;
  primary: boolean;
  value: T;
}

/**
 * Waits until `needed` slots answered, `primaryNeeded` of them by their home replica. Resolves
 * with the replies so far; when the quorum can no longer be met it still waits for the other
 * slots (within `timeoutMs`) so the QuorumError reports how many really acknowledged.
 *
 * `decisive` (reads) says whether the replies so far settle the answer. When they do not, the
 * quorum alone is not enough: the other slots are awaited too (until they answer, fail or the
 * timeout passes, which then resolves with the quorum's replies). Reads use it so that "not
 * found" from R replicas is not final while another replica may still hold the key (Riak's
 * notfound_ok=false): a replica that just gained the partition, or one a write's hint has not
 * reached yet, would otherwise make an acknowledged key read as absent.
 */
export function awaitSlots<T>(
  slots: readonly Promise<SlotReply<T>>[],
  needed: number,
  primaryNeeded: number,
  timeoutMs: number,
  clock: Clock,
  what: "read" | "write",
  decisive: (replies: readonly SlotReply<T>[]) => boolean = () => true,
): Promise<SlotReply<T>[]> {
  return new Promise((resolve, reject) => {
    const replies: SlotReply<T>[] = [];
    let failures = 0;
    let settled = false;
    const primaries = (): number => replies.filter((r) => r.primary).length;
    const error = (): QuorumError =>
      replies.length >= needed
        ? new QuorumError(primaryNeeded, primaries(), what, "home")
        : new QuorumError(needed, replies.length, what);
    const quorumMet = (): boolean =>
      slotOutcome(replies.length, primaries(), 0, needed, primaryNeeded) === "done";
    const timer = clock.setTimeout(() => (quorumMet() ? finish() : finish(error())), timeoutMs);
    function finish(e?: Error): void {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      if (e) reject(e);
      else resolve(replies.slice());
    }
    function check(): void {
      const pending = slots.length - replies.length - failures;
      const outcome = slotOutcome(replies.length, primaries(), pending, needed, primaryNeeded);
      if (outcome === "done" && (pending === 0 || decisive(replies))) finish();
      else if (outcome === "failed" && pending === 0) finish(error());
    }
    check();
    for (const slot of slots) {
      slot.then(
        (reply) => {
          if (settled) return;
          replies.push(reply);
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
