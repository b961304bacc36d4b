import { hash as oneShotHash } from "node:crypto";

/** Partition counts are powers of two so a partition is the top bits of the key's hash. */
export const PARTITIONS_MIN = 1;
export const PARTITIONS_MAX = 65536;

export function isValidPartitionCount(q: number): boolean {
  return Number.isInteger(q) && q >= PARTITIONS_MIN && q <= PARTITIONS_MAX && (q & (q - 1)) === 0;
}

/**
 * The partition of a key: the top log2(Q) bits of a 64-bit hash (the first 8 bytes of SHA-1, as
 * Riak hashes keys onto its ring). Equal partitions of the hash space make ownership a matter of
 * counting partitions, with no virtual-node bookkeeping.
 */
export function partitionOf(key: Uint8Array, partitions: number): number {
  if (!isValidPartitionCount(partitions)) throw new Error(`invalid partition count ${partitions}`);
  if (partitions === 1) return 0;
  // At most 65536 partitions: the top 16 bits, so the first 32-bit word of the hash is enough.
  // One-shot hashing skips creating a Hash object, which costs more than hashing a short key.
  const digest = oneShotHash("sha1", key, "buffer");
  return digest.readUInt32BE(0) >>> (32 - Math.log2(partitions));
}
