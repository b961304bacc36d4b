/**
 * How a cluster resolves concurrent writes, chosen when the cluster is created:
 * - `causal` (the default): dotted version vectors; concurrent writes are kept as siblings that
 *   a client resolves, so no acknowledged write is silently dropped.
 * - `lww`: last write wins by hybrid logical clock stamp; a key holds one version and a
 *   concurrent write is silently discarded. Simpler for clients, lossy under concurrency.
 *
 * Every place that merges two replicas' versions of a key (local writes and merges, hints, reads,
 * read repair, anti-entropy, reaping) goes through a ConflictResolution, so the mode is a
 * parameter of the merge and causal mode runs exactly the DVVSet code it always ran.
 */
import { type ActorId, sync, update, type VersionVector } from "./causality/index.js";
import { HybridLogicalClock, lwwMerge, lwwObject, lwwSame, lwwWinner } from "./lww/index.js";
import { sameHistory } from "./same-history.js";
import type { Sibling, StoredObject } from "./stored-object.js";

export const CONFLICT_MODES = ["causal", "lww"] as const;
export type ConflictMode = (typeof CONFLICT_MODES)[number];

export function isConflictMode(value: unknown): value is ConflictMode {
  return (CONFLICT_MODES as readonly unknown[]).includes(value);
}

export interface ConflictResolution {
  readonly mode: ConflictMode;
  /** Merges two replicas' versions of a key: commutative, associative and idempotent. */
  merge(a: StoredObject, b: StoredObject): StoredObject;
  /** Whether two replicas hold the same versions, so neither needs a repair. */
  same(a: StoredObject, b: StoredObject): boolean;
  /** A client write coordinated here by `actor`, applied to the key's current versions. */
  write(current: StoredObject, context: VersionVector, actor: ActorId, sibling: Sibling): StoredObject;
  /** Notes versions that arrived from elsewhere (lww: this node's clock moves past their stamp). */
  observe(incoming: StoredObject): void;
}

/** Dotted version vectors: the new value supersedes what the context covers; the rest stay siblings. */
export const causalResolution: ConflictResolution = {
  mode: "causal",
  merge: sync,
  same: sameHistory,
  write: update,
  observe: () => {},
};

/**
 * Last write wins. The stamp comes from this node's hybrid logical clock, advanced past the
 * version the key holds here (so a read-modify-write through one coordinator always wins over
 * what it read) and past every version merged in. The context is accepted but not used.
 */
export function lwwResolution(nowMs: () => number): ConflictResolution {
  const clock = new HybridLogicalClock(nowMs);
  const observe = (o: StoredObject): void => {
    const winner = lwwWinner(o);
    if (winner !== undefined) clock.observe(winner.stamp);
  };
  return {
    mode: "lww",
    merge: lwwMerge,
    same: lwwSame,
    write: (current, _context, actor, sibling) => {
      observe(current);
      return lwwObject({ ...clock.next(), actor }, sibling);
    },
    observe,
  };
}

export function conflictResolution(mode: ConflictMode, nowMs: () => number): ConflictResolution {
  return mode === "lww" ? lwwResolution(nowMs) : causalResolution;
}
