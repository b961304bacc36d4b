import { homeZoneViolations } from "./home-zones.js";

/**
 * Partitions whose n home replicas are not in n distinct zones although the ring's owners span
 * at least n zones: what zone-aware claim promises and could not give (claim() then falls back to
 * the claim without zones, silently, being pure). 0 when the owners span fewer than n zones:
 * nothing is promised then. A member without a zone counts as a zone of its own, as in claim().
 * The node reports this as a gauge and logs it when a ring is planned, so the fallback is seen.
 */
export function zoneSharedPartitions(
  owners: readonly string[],
  n: number,
  zones: ReadonlyMap<string, string>,
): number {
  const zoneOf = (id: string): string => zones.get(id) ?? `\u0000${id}`;
  if (new Set(owners.map(zoneOf)).size < n) return 0;
  return homeZoneViolations(owners, zoneOf, n).length;
}
