import type { StoredObject } from "./stored-object.js";

/**
 * Whether two replicas hold the same history of a key. In a DVVSet an entry's values are always
 * its newest `values.length` dots, so (actor, counter, number of values) per entry names exactly
 * which dots are held; dots name values, so equal entries mean equal sets.
 */
export function sameHistory(a: StoredObject, b: StoredObject): boolean {
  if (a.entries.length !== b.entries.length) return false;
  for (let i = 0; i < a.entries.length; i++) {
    const x = a.entries[i];
    const y = b.entries[i];
    if (x === undefined || y === undefined) return false;
    if (x.actor !== y.actor || x.counter !== y.counter || x.values.length !== y.values.length) return false;
  }
  return true;
}
