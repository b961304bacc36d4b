import { isValidPartitionCount } from "../partition.js";
import { maxWeightAssignment } from "./assignment.js";
import { windowsAchievable } from "./feasibility.js";
import { Placement, UNASSIGNED } from "./placement.js";
import { rebalance } from "./rebalance.js";
import { repairWindows } from "./repair.js";
import { stripe } from "./stripe.js";
import { zoneClaim } from "./zone-claim.js";

/**
 * Ownership after a membership change. `previous` is the current owners array (undefined when
 * the cluster is created); `members` the node ids that must own partitions afterwards (a set:
 * order and duplicates do not matter). Deterministic: a pure function of its arguments, so every
 * node that runs it on the same gossiped ring gets the same answer. See docs/ring.md.
 *
 * `zones` maps member ids to their zone (--zone); a member not in it has no zone and counts as
 * a zone of its own. When the members span at least n zones and some zone holds two or more of
 * them, the claim is zone-aware (zone-claim.ts): every partition's n home replicas are in n
 * distinct zones, and balance is as even as that allows (zone-targets.ts). Otherwise, or when
 * zones cannot give that with every member owning a partition, it is the claim without zones.
 */
export function claim(
  previous: readonly string[] | undefined,
  members: readonly string[],
  partitions: number,
  n: number,
  zones?: ReadonlyMap<string, string>,
): string[] {
  if (!isValidPartitionCount(partitions)) throw new RangeError(`invalid partition count ${partitions}`);
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(`replication factor ${n} is not a positive integer`);
  if (previous !== undefined && previous.length !== partitions) {
    throw new RangeError(`previous ring has ${previous.length} partitions, expected ${partitions}`);
  }
  // Code-unit order, not localeCompare: the order must not depend on a node's locale.
  const ids = [...new Set(members)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (ids.length < 1 || ids.length > partitions) {
    throw new RangeError(`${ids.length} members cannot own ${partitions} partitions`);
  }
  const zoned = zones === undefined ? undefined : zonedClaim(previous, ids, partitions, n, zones);
  if (zoned !== undefined) return zoned;
  const owners =
    previous === undefined ? created(ids.length, partitions, n) : changed(previous, ids, partitions, n);
  const result = Array.from(owners, (m) => ids[m] as string);
  assertBalanced(result, ids);
  return result;
}

/** A zone-less member's own zone key: no --zone value can contain a NUL, so keys never clash. */
function zoneKey(id: string, zones: ReadonlyMap<string, string>): string {
  return zones.get(id) ?? `\u0000${id}`;
}

function zonedClaim(
  previous: readonly string[] | undefined,
  ids: readonly string[],
  partitions: number,
  n: number,
  zones: ReadonlyMap<string, string>,
): string[] | undefined {
  const keys = [...new Set(ids.map((id) => zoneKey(id, zones)))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  // Every member its own zone is the claim without zones, which already keeps replicas apart.
  if (n < 2 || keys.length < n || keys.length === ids.length) return undefined;
  const zoneIndex = new Map(keys.map((k, i) => [k, i]));
  const zoneOfMember = Int32Array.from(ids, (id) => zoneIndex.get(zoneKey(id, zones)) as number);
  const indexOf = new Map(ids.map((id, i) => [id, i]));
  const before =
    previous === undefined ? undefined : Int32Array.from(previous, (id) => indexOf.get(id) ?? UNASSIGNED);
  const owners = zoneClaim(before, zoneOfMember, partitions, n);
  if (owners === undefined) return undefined;
  const result = Array.from(owners, (m) => ids[m] as string);
  const owning = new Set(result);
  for (const id of ids) if (!owning.has(id)) throw new Error(`member ${id} owns no partition`);
  return result;
}

/**
 * A membership change, on owners as indexes into the sorted ids (a node no longer a member is
 * UNASSIGNED): move minimally; if windows could all be distinct but a repeat is left, take the
 * nearest new-ring layout instead, which is window-distinct whenever that is achievable.
 */
function changed(
  previous: readonly string[],
  ids: readonly string[],
  partitions: number,
  n: number,
): Int32Array {
  const indexOf = new Map(ids.map((id, i) => [id, i]));
  const owners = Int32Array.from(previous, (id) => indexOf.get(id) ?? UNASSIGNED);
  // With exactly n members every node is a home replica of every partition, so the owners
  // array places no data and changing it moves none: take the stripe (the new-ring layout for n
  // members), from which the next join can leave a window-distinct ring.
  if (ids.length === n) return nearestLayout(owners, partitions, ids.length, n);
  const moved = moveMinimally(owners, ids.length, n);
  if (windowsAchievable(partitions, ids.length, n) && moved.hasRepeats)
    return nearestLayout(owners, partitions, ids.length, n);
  return moved.owners;
}

/**
 * A new ring is the ring that would result from creating the cluster with its n lowest ids (a
 * stripe) and adding the others one at a time in id order. Built that way rather than as one
 * wide stripe because a ring grown by joins keeps each joiner's partitions spread between the
 * original owners, so a later removal from a small ring (n < S < 2n - 1) can give each orphan
 * to a member that is not next to it; in a wide stripe every remaining member sits next to
 * every orphan and such a removal must re-stripe. Growing keeps windows distinct in practice;
 * should it ever not, the wide stripe (distinct by construction) is used.
 */
function created(members: number, partitions: number, n: number): Int32Array {
  if (members <= n) return stripe(partitions, members, n);
  // Member i is the i-th lowest id, so growing the member count appends the next id.
  let owners = stripe(partitions, n, n);
  let hasRepeats = false;
  for (let size = n + 1; size <= members; size++) ({ owners, hasRepeats } = moveMinimally(owners, size, n));
  return windowsAchievable(partitions, members, n) && hasRepeats ? stripe(partitions, members, n) : owners;
}

/**
 * The new-ring layout for `members` members (`created`: a stripe when members <= n, else grown
 * from one), labelled so that as many partitions as possible keep their owner: an exact
 * assignment (Hungarian) over the members x layout-slots overlap counts.
 */
function nearestLayout(previous: Int32Array, partitions: number, members: number, n: number): Int32Array {
  const layout = created(members, partitions, n);
  const overlap = Array.from({ length: members }, () => new Array<number>(members).fill(0));
  previous.forEach((member, p) => {
    if (member === UNASSIGNED) return;
    const row = overlap[layout[p] as number] as number[];
    row[member] = (row[member] as number) + 1;
  });
  const memberOfSlot = maxWeightAssignment(overlap);
  return layout.map((slot) => memberOfSlot[slot] as number);
}

/**
 * Keep what can be kept and move the rest (rebalance.ts), then repair repeated windows (repair.ts).
 * `hasRepeats` tells the caller that the result still repeats an owner inside a window: a
 * removal from a small ring, where every remaining member can sit next to some orphan, or a
 * previous ring that already had repeats.
 */
function moveMinimally(
  previous: Int32Array,
  members: number,
  n: number,
): { owners: Int32Array; hasRepeats: boolean } {
  // Below n members windows of n distinct owners cannot exist, and every node replicates every
  // partition anyway; only balance and movement matter.
  const window = members > n ? n : 1;
  const placement = new Placement(previous.slice(), members, window);
  rebalance(placement);
  if (window === 1) return { owners: placement.owners, hasRepeats: false };
  repairWindows(placement);
  return { owners: placement.owners, hasRepeats: placement.clashingPartitions().length > 0 };
}

function assertBalanced(owners: readonly string[], ids: readonly string[]): void {
  const counts = new Map(ids.map((id) => [id, 0]));
  for (const owner of owners) {
    const count = counts.get(owner);
    if (count === undefined) throw new Error(`owner ${owner} is not a member`);
    counts.set(owner, count + 1);
  }
  const base = Math.floor(owners.length / ids.length);
  for (const [id, count] of counts) {
    if (count !== base && count !== base + 1)
      throw new Error(`member ${id} owns ${count} partitions, not ${base} or ${base + 1}`);
  }
}
