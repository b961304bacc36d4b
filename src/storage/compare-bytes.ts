/**
 * Unsigned bytewise order, shorter first on a common prefix: the order LMDB uses for keys with
 * its default comparator, so the memory engine scans in exactly the order the LMDB engine does.
 */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const difference = a[i]! - b[i]!;
    if (difference !== 0) return difference;
  }
  return a.length - b.length;
}
