/**
 * Expiry (TTL). A version written with a time to live carries an absolute deadline
 * (Sibling.expiresAtMs), stamped once by the node that took the write, so every replica, hint
 * and transferred copy holds the same deadline. Expiry changes no causal history: an expired
 * sibling keeps its dot, so every merge (hints, read repair, anti-entropy, transfer) treats it
 * exactly as before and an older version it superseded stays superseded. What changes is only
 * what a client is shown: from the deadline on, the sibling reads as a tombstone, judged by the
 * reading node's clock at read time, so no replica has to do anything for a key to expire.
 */
import type { DvvSet } from "./causality/index.js";
import { type Sibling, type StoredObject, tombstone } from "./stored-object.js";

/** The longest time to live a write may ask for: 10 years. */
export const TTL_S_MAX = 10 * 365 * 24 * 60 * 60;

/** The deadline of a version written at `nowMs` with a time to live of `ttlS` seconds. */
export function expiryDeadlineMs(nowMs: number, ttlS: number): number {
  return nowMs + ttlS * 1000;
}

/** True once the sibling's deadline has passed (now >= deadline); a tombstone is not "expired". */
export function isExpired(s: Sibling, nowMs: number): boolean {
  return !s.deleted && s.expiresAtMs !== undefined && nowMs >= s.expiresAtMs;
}

/** Whether any sibling of the object has expired by `nowMs`. */
export function hasExpired(o: StoredObject, nowMs: number): boolean {
  for (const e of o.entries) for (const s of e.values) if (isExpired(s, nowMs)) return true;
  return false;
}

/**
 * The object as a client sees it at `nowMs`: every expired sibling replaced by a tombstone of the
 * same write time, in the same place (same dot), so the context still covers it and a write with
 * that context supersedes it. The object itself is returned when nothing expired. This is a view:
 * it is never stored or sent to another replica, which keep the expired sibling (and its deadline)
 * until the tombstone reaper drops the whole key.
 */
export function expiredAsTombstones(o: StoredObject, nowMs: number): StoredObject {
  if (!hasExpired(o, nowMs)) return o;
  const view: DvvSet<Sibling> = {
    entries: o.entries.map((e) => ({
      ...e,
      values: e.values.map((s) => (isExpired(s, nowMs) ? tombstone(s.writtenAtMs) : s)),
    })),
  };
  return view;
}

/**
 * True when the key has versions and every one is a tombstone or expired by `nowMs`: it reads as
 * not found, and the reaper may drop it under the tombstone rules.
 */
export function isDeadAt(o: StoredObject, nowMs: number): boolean {
  let sawValue = false;
  for (const e of o.entries) {
    for (const s of e.values) {
      if (!s.deleted && !isExpired(s, nowMs)) return false;
      sawValue = true;
    }
  }
  return sawValue;
}
