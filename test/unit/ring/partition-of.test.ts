import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import fc from "fast-check";
import { partitionOf } from "../../../src/core/partition.js";

/** The definition, spelled out the slow way: the top log2(Q) bits of the first 8 bytes of SHA-1. */
function reference(key: Uint8Array, partitions: number): number {
  if (partitions === 1) return 0;
  const hash64 = createHash("sha1").update(key).digest().readBigUInt64BE(0);
  return Number(hash64 >> (64n - BigInt(Math.log2(partitions))));
}

test("a key's partition is the top bits of its SHA-1, for every partition count 1..65536", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 1024 }),
      fc.integer({ min: 0, max: 16 }),
      (key, bits) => {
        const partitions = 2 ** bits;
        const p = partitionOf(key, partitions);
        assert.equal(p, reference(key, partitions));
        assert.ok(p >= 0 && p < partitions);
      },
    ),
    { numRuns: 2000 },
  );
});

test("known answers pin the partition function (changing it moves every key of a cluster)", () => {
  const key = new TextEncoder().encode("greeting");
  // Computed once with the original BigInt implementation.
  assert.deepEqual(
    [1, 2, 256, 65536].map((q) => partitionOf(key, q)),
    [0, 1, 160, 41207],
  );
  assert.throws(() => partitionOf(key, 3), /invalid partition count 3/);
});
