/**
 * How many partitions each member should own: floor(Q/S), and floor(Q/S) + 1 for Q mod S of
 * them. The extra ones go to the members that already keep the most partitions (ties: lower
 * member index, i.e. lower id), because every partition a member keeps is one that does not move.
 */
export function balancedTargets(kept: ArrayLike<number>, partitions: number): Int32Array {
  const members = kept.length;
  if (members < 1 || members > partitions) {
    throw new RangeError(`cannot balance ${partitions} partitions over ${members} members`);
  }
  const base = Math.floor(partitions / members);
  const extra = partitions % members;
  const byKept = Array.from({ length: members }, (_, m) => m).sort(
    (a, b) => (kept[b] as number) - (kept[a] as number) || a - b,
  );
  const targets = new Int32Array(members).fill(base);
  for (let i = 0; i < extra; i++) targets[byKept[i] as number] = base + 1;
  return targets;
}
