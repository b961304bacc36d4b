/**
 * Window checks. A window is n consecutive partitions, taken cyclically: the window starting at
 * partition s covers s, s+1, ..., s+n-1 (mod Q). The ring wants every window to have n distinct
 * owners, so that the first n entries of the owners array from any partition are already the n
 * home replicas (the preference list then skips nothing and replica load follows ownership).
 */

/** The start partitions of the windows of `n` partitions whose owners are not all distinct. */
export function violatingWindowStarts(owners: ArrayLike<string | number>, n: number): number[] {
  assertWindowLength(n);
  const partitions = owners.length;
  const starts: number[] = [];
  if (n <= 1 || partitions === 0) return starts;
  // Slide the window once around the ring, keeping a count per owner and the number of owners
  // that appear more than once, so the whole check is O(Q) whatever n is.
  const inWindow = new Map<string | number, number>();
  let repeated = 0;
  const add = (owner: string | number): void => {
    const count = (inWindow.get(owner) ?? 0) + 1;
    inWindow.set(owner, count);
    if (count === 2) repeated++;
  };
  const drop = (owner: string | number): void => {
    const count = (inWindow.get(owner) ?? 0) - 1;
    inWindow.set(owner, count);
    if (count === 1) repeated--;
  };
  for (let i = 0; i < n; i++) add(owners[i % partitions] as string | number);
  for (let start = 0; start < partitions; start++) {
    if (repeated > 0) starts.push(start);
    drop(owners[start] as string | number);
    add(owners[(start + n) % partitions] as string | number);
  }
  return starts;
}

/** How many of the Q cyclic windows of `n` partitions repeat an owner (0 is the goal). */
export function windowViolations(owners: ArrayLike<string | number>, n: number): number {
  return violatingWindowStarts(owners, n).length;
}

function assertWindowLength(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`window length ${n} is not a positive integer`);
}
