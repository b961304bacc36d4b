/**
 * When can a ring be both balanced (every member owns floor(Q/S) or ceil(Q/S) partitions) and
 * window-distinct (every n consecutive partitions have n distinct owners)?
 *
 * Exactly when S >= n and n * ceil(Q/S) <= Q.
 *
 * Necessary: a window of n partitions needs n distinct owners, so S >= n; and a member owning
 * ceil(Q/S) partitions needs them pairwise at least n apart around a ring of Q, which takes
 * n * ceil(Q/S) <= Q. With S = n this reads "n divides Q": the ring is then forced to repeat one
 * period of n owners (two overlapping windows hold the same n owners, so owner(p + n) =
 * owner(p)), which is impossible for n = 3 and Q a power of two.
 * Sufficient: `stripe` (stripe.ts) builds such a ring; the proof is in its comment.
 */
export function windowsAchievable(partitions: number, members: number, n: number): boolean {
  if (members < n) return false;
  return n * Math.ceil(partitions / members) <= partitions;
}
