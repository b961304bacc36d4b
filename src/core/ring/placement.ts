/** Marks a partition whose owner left and that has no new owner yet. */
export const UNASSIGNED = -1;

/**
 * The mutable working copy of an owners array while a claim is computed: owners are member
 * indexes (positions in the sorted member list), and counts are kept in step. `window` is the
 * number of consecutive partitions that should have distinct owners (n, or 1 when the ring has
 * too few members for that to mean anything).
 */
export class Placement {
  readonly partitions: number;
  readonly counts: Int32Array;

  constructor(
    readonly owners: Int32Array,
    members: number,
    readonly window: number,
  ) {
    this.partitions = owners.length;
    this.counts = new Int32Array(members);
    for (const owner of owners)
      if (owner !== UNASSIGNED) this.counts[owner] = (this.counts[owner] as number) + 1;
  }

  ownerAt(partition: number): number {
    return this.owners[this.wrap(partition)] as number;
  }

  /** True when `member` owns no partition within window - 1 of `partition` on either side. */
  canOwn(partition: number, member: number): boolean {
    return this.nearbyCount(partition, member) === 0;
  }

  /** How many partitions within window - 1 of `partition` (either side) `member` owns. */
  nearbyCount(partition: number, member: number): number {
    let count = 0;
    for (let d = 1; d < this.window; d++) {
      if (this.ownerAt(partition + d) === member) count++;
      if (this.ownerAt(partition - d) === member) count++;
    }
    return count;
  }

  assign(partition: number, member: number): void {
    const previous = this.owners[partition] as number;
    if (previous === member) return;
    if (previous !== UNASSIGNED) this.counts[previous] = (this.counts[previous] as number) - 1;
    this.counts[member] = (this.counts[member] as number) + 1;
    this.owners[partition] = member;
  }

  /**
   * Partitions whose owner appears again within window - 1 of them: where the repeats are. Those
   * clashing with the most others come first (giving one of them away removes the most repeats),
   * then in ring order.
   */
  clashingPartitions(): number[] {
    const clashes: [number, number][] = [];
    if (this.window <= 1) return [];
    for (let p = 0; p < this.partitions; p++) {
      const owner = this.owners[p] as number;
      if (owner === UNASSIGNED) continue;
      const degree = this.nearbyCount(p, owner);
      if (degree > 0) clashes.push([p, degree]);
    }
    return clashes.sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([p]) => p);
  }

  wrap(partition: number): number {
    const q = this.partitions;
    return ((partition % q) + q) % q;
  }
}
