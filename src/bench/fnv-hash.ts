const FNV_OFFSET_BASIS_64 = 0xcbf29ce484222325n;
const FNV_PRIME_64 = 1099511628211n;

/**
 * YCSB's 64-bit FNV-1a over the eight little-endian bytes of a non-negative integer, returned as
 * the absolute value of the signed result (what Java's `Math.abs(long)` gives). YCSB scrambles
 * zipfian ranks and builds key names with it, so our keys spread over a ring the same way.
 */
export function fnvHash64(value: number): bigint {
  let rest = BigInt(value);
  let hash = FNV_OFFSET_BASIS_64;
  for (let i = 0; i < 8; i++) {
    hash ^= rest & 0xffn;
    rest >>= 8n;
    hash = BigInt.asUintN(64, hash * FNV_PRIME_64);
  }
  const signed = BigInt.asIntN(64, hash);
  return signed < 0n ? -signed : signed;
}
