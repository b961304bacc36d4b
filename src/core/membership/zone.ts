/** A zone name (--zone, and the `zone` of a gossiped member record): 1..64 of A-Z a-z 0-9 . _ - */
export const ZONE_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** Member id -> zone, for the members that have one (claim() treats the others as their own zone). */
export function zonesOf(members: readonly { id: string; zone?: string | undefined }[]): Map<string, string> {
  const zones = new Map<string, string>();
  for (const m of members) if (m.zone !== undefined) zones.set(m.id, m.zone);
  return zones;
}
