/** How many partitions changed owner between two owners arrays of the same ring. */
export function movedPartitions(before: readonly string[], after: readonly string[]): number {
  if (before.length !== after.length) {
    throw new RangeError(`rings differ in size: ${before.length} and ${after.length} partitions`);
  }
  let moved = 0;
  for (let p = 0; p < before.length; p++) if (before[p] !== after[p]) moved++;
  return moved;
}
