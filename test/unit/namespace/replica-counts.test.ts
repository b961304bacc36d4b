import assert from "node:assert/strict";
import { test } from "node:test";
import {
  encodeKey,
  NamespaceReplicaCounts,
  uniformReplicaCounts,
} from "../../../src/core/namespace/index.js";

const enc = (s: string) => new TextEncoder().encode(s);

test("a key's n is its namespace's, else the cluster's; default's own n applies to plain keys", () => {
  const counts = new NamespaceReplicaCounts(3);
  assert.deepEqual(counts.inUse(), [3]);
  assert.equal(counts.nOf(encodeKey("carts", enc("k"))), 3, "before any namespace is configured");
  counts.update([
    ["carts", { n: 5 }],
    ["cache", { n: 1, r: 1 }],
    ["plain", { r: 2 }],
    ["same", { n: 3 }],
  ]);
  assert.equal(counts.nOf(encodeKey("carts", enc("k"))), 5);
  assert.equal(counts.nOf(encodeKey("cache", enc("k"))), 1);
  assert.equal(counts.nOf(encodeKey("plain", enc("k"))), 3, "a namespace without n has the cluster's");
  assert.equal(counts.nOf(encodeKey("never-set", enc("k"))), 3);
  assert.equal(counts.nOf(enc("k")), 3, "a key of default");
  assert.deepEqual(counts.inUse(), [1, 3, 5], "ascending, distinct, the cluster's N among them");
  counts.update([["default", { n: 2 }]]);
  assert.equal(counts.nOf(enc("k")), 2, "default's own n");
  assert.equal(counts.nOf(encodeKey("carts", enc("k"))), 3, "carts lost its n with the update");
  // Bytes that are no namespaced key (0xFF without a terminator) count as default's.
  assert.equal(counts.nOf(Uint8Array.of(0xff, 0x61)), 2);
});

test("the version moves only when some namespace's n changes", () => {
  const counts = new NamespaceReplicaCounts(3);
  const v0 = counts.version;
  counts.update([["a", { r: 1 }]]);
  assert.equal(counts.version, v0, "an r change is no n change");
  counts.update([["a", { n: 2 }]]);
  const v1 = counts.version;
  assert.ok(v1 > v0);
  counts.update([["a", { n: 2, ttlSeconds: 5 }]]);
  assert.equal(counts.version, v1);
  counts.update([["a", { n: 4 }]]);
  assert.ok(counts.version > v1);
  counts.update([["a", { n: 3 }]]);
  assert.deepEqual(counts.inUse(), [3], "an n equal to the cluster's is no class of its own");
});

test("uniform counts: every key has N; a count outside 1..64 is refused", () => {
  const counts = uniformReplicaCounts(3);
  assert.equal(counts.nOf(encodeKey("carts", enc("k"))), 3);
  assert.deepEqual(counts.inUse(), [3]);
  assert.throws(() => uniformReplicaCounts(0), RangeError);
  assert.throws(() => new NamespaceReplicaCounts(65), RangeError);
});
