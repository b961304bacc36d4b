import type { AddRecord } from "./history.js";

export interface SetCheck {
  /** Adds answered 204. */
  acknowledged: number;
  /** Adds answered with an error status, or never sent. */
  failed: number;
  /** Adds sent with no answer. */
  unknown: number;
  /** Failed or unknown adds that are in the final set anyway (allowed: a failed write may be stored). */
  unackedPresent: number;
  /** Acknowledged adds missing from the final set: must be 0. */
  lost: number;
  /** Elements in the final set that no PUT ever carried: must be 0. */
  phantom: number;
  lostElements: AddRecord[];
  phantomElements: { key: string; element: number }[];
}

/** Jepsen's set checker: compares every attempted add with the final value of its key. */
export function checkSets(
  records: readonly AddRecord[],
  finalSets: ReadonlyMap<string, ReadonlySet<number>>,
): SetCheck {
  const result: SetCheck = {
    acknowledged: 0,
    failed: 0,
    unknown: 0,
    unackedPresent: 0,
    lost: 0,
    phantom: 0,
    lostElements: [],
    phantomElements: [],
  };
  const sentByKey = new Map<string, Set<number>>();
  for (const r of records) {
    const present = finalSets.get(r.key)?.has(r.element) ?? false;
    if (r.sent) {
      const sent = sentByKey.get(r.key) ?? new Set<number>();
      sent.add(r.element);
      sentByKey.set(r.key, sent);
    }
    if (r.outcome === "ok") {
      result.acknowledged += 1;
      if (!present) {
        result.lost += 1;
        result.lostElements.push(r);
      }
      continue;
    }
    if (r.outcome === "failed") result.failed += 1;
    else result.unknown += 1;
    if (present) result.unackedPresent += 1;
  }
  for (const [key, elements] of finalSets) {
    for (const element of elements) {
      if (!(sentByKey.get(key)?.has(element) ?? false)) {
        result.phantom += 1;
        result.phantomElements.push({ key, element });
      }
    }
  }
  return result;
}
