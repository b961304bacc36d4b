import { preferenceList } from "./preference-list.js";

/**
 * Partitions whose N home replicas (the first N distinct owners walking the ring, as
 * preference-list.ts defines them) are not in N distinct zones. `zoneOf` gives each owner's zone
 * key. Empty is the goal of a zone-aware ring.
 */
export function homeZoneViolations(
  owners: readonly string[],
  zoneOf: (id: string) => string,
  n: number,
): number[] {
  const bad: number[] = [];
  for (let p = 0; p < owners.length; p++) {
    const home = preferenceList(owners, p, n);
    if (new Set(home.map(zoneOf)).size !== home.length) bad.push(p);
  }
  return bad;
}
