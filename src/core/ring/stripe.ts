import { windowsAchievable } from "./feasibility.js";

/**
 * The canonical layout of Q partitions over S slots (slot i becomes the i-th member once
 * labelled). It is balanced, and window-distinct for windows of n exactly when that is
 * achievable at all (`windowsAchievable`).
 *
 * Construction. Let c = ceil(Q/S) and h = Q - (c-1)S (1 <= h <= S). The ring is c rounds; each
 * round lists slots in increasing order. Slots 0..h-1 ("heavy") appear in every round and own c
 * partitions; the D = S - h other slots each skip exactly one round and own c - 1. So the counts
 * are ceil(Q/S) or floor(Q/S).
 *
 * Why windows are distinct. A round skips a contiguous range of slots, of at most
 * g = S - n slots, so it is at least n long and a window spans at most two rounds. A window
 * across the end of round A and the start of round B repeats a slot v only if v is among A's last
 * j entries and B's first n - j; counting ranks, that needs |skipped(A) above v| +
 * |skipped(B) below v| >= g + 1. This sum is at most max(|skipped(A)|, |skipped(B)|) <= g when
 * A's range lies below B's, or directly above it with no slot between them. The ranges
 * R_0 < R_1 < ... < R_{c-1} are therefore given to rounds 0, c-1, c-2, ..., 1: one step up and
 * then only steps down to the adjacent range, including the wrap from round c-1 (R_1) back to
 * round 0 (R_0). Spreading the D skips evenly over c rounds keeps each range <= g exactly when
 * D <= c * g, which rearranges to n * ceil(Q/S) <= Q: the feasibility condition.
 *
 * When S = n does not divide Q, windows cannot all be distinct: the layout is round robin with
 * the r = Q mod n extra partitions spread evenly, each a copy of the slot just before it (slot k
 * doubled in the k-th of r evenly spaced periods). That costs exactly r * (n - 1) repeating
 * windows, and a node that joins next can take one partition of each doubled pair (they are far
 * apart) and leave a window-distinct ring behind. In the other cases where windows cannot be
 * distinct (S < n, or fewer than about n partitions per node) the layout is round robin.
 */
export function stripe(partitions: number, members: number, n: number): Int32Array {
  if (!Number.isInteger(members) || members < 1 || members > partitions) {
    throw new RangeError(`cannot stripe ${partitions} partitions over ${members} members`);
  }
  const layout = new Int32Array(partitions);
  if (!windowsAchievable(partitions, members, n)) {
    if (members === n && partitions > n) return roundRobinWithDoubles(partitions, members);
    for (let p = 0; p < partitions; p++) layout[p] = p % members;
    return layout;
  }
  const rounds = Math.ceil(partitions / members);
  const heavy = partitions - (rounds - 1) * members;
  const skipped = members - heavy;
  // Range i of skipped slots starts at rangeStart[i]; ranges are laid out upwards from `heavy`.
  const rangeStart: number[] = [];
  const rangeEnd: number[] = [];
  let next = heavy;
  for (let i = 0; i < rounds; i++) {
    const size = Math.floor(skipped / rounds) + (i < skipped % rounds ? 1 : 0);
    rangeStart.push(next);
    next += size;
    rangeEnd.push(next);
  }
  let p = 0;
  for (let round = 0; round < rounds; round++) {
    const range = round === 0 ? 0 : rounds - round;
    const skipFrom = rangeStart[range] as number;
    const skipTo = rangeEnd[range] as number;
    for (let slot = 0; slot < members; slot++) {
      if (slot >= skipFrom && slot < skipTo) continue;
      layout[p++] = slot;
    }
  }
  if (p !== partitions) throw new Error(`stripe filled ${p} of ${partitions} partitions`);
  return layout;
}

function roundRobinWithDoubles(partitions: number, members: number): Int32Array {
  const periods = Math.floor(partitions / members);
  const doubles = partitions % members;
  const layout = new Int32Array(partitions);
  let p = 0;
  let nextDouble = 0;
  for (let period = 0; period < periods; period++) {
    for (let slot = 0; slot < members; slot++) {
      layout[p++] = slot;
      // Slot k is doubled in period floor(k * periods / doubles): evenly spread, one each.
      if (
        nextDouble < doubles &&
        slot === nextDouble &&
        Math.floor((nextDouble * periods) / doubles) === period
      ) {
        layout[p++] = slot;
        nextDouble++;
      }
    }
  }
  if (p !== partitions) throw new Error(`stripe filled ${p} of ${partitions} partitions`);
  return layout;
}
