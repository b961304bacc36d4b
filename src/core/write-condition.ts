/**
 * Conditional writes (API.md "Conditional writes"): whether a write may go ahead, given what a
 * read of the key at the write's r found. Pure: the coordinator does the read and the write.
 *
 * The check and the write are two steps with no lock between them, so two conditional writes
 * racing on different coordinators (or on different sides of a partition) may both pass and
 * leave siblings: the check is a guard against mistakes, not a compare-and-set.
 */
import { join, type VersionVector } from "./causality/index.js";
import type { StoredObject } from "./stored-object.js";

export type WriteCondition =
  /** `If-None-Match: *`: only when no live value is found. */
  | { readonly kind: "none-live" }
  /** `If-Match: <context>`: only when the key's current context is exactly this one. */
  | { readonly kind: "context-matches"; readonly context: VersionVector };

export type ConditionVerdict =
  /** Write with this context: the one the read found (so the write supersedes what it saw). */
  | { readonly proceed: true; readonly context: VersionVector }
  | { readonly proceed: false; readonly reason: string };

/**
 * Whether the key reads as a value (a 200 or a 300) rather than a 404. The one place "live" is
 * decided for conditional writes: expiry will be checked here too, against `nowMs`.
 */
export function hasLiveValue(object: StoredObject | undefined, _nowMs: number): boolean {
  if (object === undefined) return false;
  return object.entries.some((e) => e.values.some((s) => !s.deleted));
}

/** The context a read of `object` hands out (API.md: X-Ringkv-Context); empty when nothing is held. */
export function currentContext(object: StoredObject | undefined): VersionVector {
  return object === undefined ? [] : join(object);
}

/**
 * Two contexts name the same history when they hold the same (actor, counter) pairs. Version
 * vectors are kept sorted by actor with counters >= 1, so that is an entry-by-entry comparison;
 * it does not depend on how a header spelled them.
 */
export function sameContext(a: VersionVector, b: VersionVector): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined || x[0] !== y[0] || x[1] !== y[1]) return false;
  }
  return true;
}

export function checkCondition(
  condition: WriteCondition,
  current: StoredObject | undefined,
  nowMs: number,
): ConditionVerdict {
  const found = currentContext(current);
  if (condition.kind === "none-live") {
    if (hasLiveValue(current, nowMs))
      return { proceed: false, reason: "If-None-Match: * but the key has a value" };
    return { proceed: true, context: found };
  }
  if (!sameContext(found, condition.context)) {
    return {
      proceed: false,
      reason:
        found.length === 0
          ? "If-Match names a context but the key holds nothing"
          : "If-Match names a context other than the key's current one: read the key again",
    };
  }
  return { proceed: true, context: found };
}
