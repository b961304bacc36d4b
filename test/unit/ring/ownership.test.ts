import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isReplicaOf, ownershipVerdict } from "../../../src/core/ring/ownership.js";
import { ringView } from "../../../src/core/ring/ring-view.js";

// Four partitions, N=2, ring version 5. Home replicas under owners: p0 a,b; p1 b,c; p2 c,d;
// p3 d,a. The pending next gives e partitions 2 and 3 (it is receiving them).
const ring = ringView(["a", "b", "c", "d"], 2, 5, ["a", "b", "c", "e"]);
const settled = ringView(["a", "b", "c", "d"], 2, 5);

describe("ownership fencing: kv_replicate and kv_put", () => {
  test("a home replica under the owners accepts", () => {
    assert.equal(ownershipVerdict(ring, "a", { kind: "replica", partition: 0 }, 5), "accept");
    assert.equal(ownershipVerdict(ring, "b", { kind: "replica", partition: 0 }, 5), "accept");
    assert.equal(ownershipVerdict(ring, "a", { kind: "replica", partition: 3 }, 5), "accept");
  });

  test("a node receiving the partition under the pending next accepts", () => {
    assert.equal(ownershipVerdict(ring, "e", { kind: "replica", partition: 2 }, 5), "accept");
    assert.equal(ownershipVerdict(ring, "e", { kind: "replica", partition: 3 }, 5), "accept");
  });

  test("a node that neither owns nor receives the partition refuses", () => {
    assert.equal(ownershipVerdict(ring, "c", { kind: "replica", partition: 0 }, 5), "refuse");
    assert.equal(ownershipVerdict(ring, "e", { kind: "replica", partition: 0 }, 5), "refuse");
    assert.equal(ownershipVerdict(settled, "e", { kind: "replica", partition: 2 }, 5), "refuse");
    assert.equal(ownershipVerdict(ring, "stranger", { kind: "replica", partition: 1 }, 5), "refuse");
  });

  test("a sender with an older ring, or one that does not say, is checked against the receiver's ring", () => {
    assert.equal(ownershipVerdict(ring, "c", { kind: "replica", partition: 0 }, 4), "refuse");
    assert.equal(ownershipVerdict(ring, "c", { kind: "replica", partition: 0 }, 0), "refuse");
    assert.equal(ownershipVerdict(ring, "c", { kind: "replica", partition: 0 }, undefined), "refuse");
    assert.equal(ownershipVerdict(ring, "a", { kind: "replica", partition: 0 }, 4), "accept");
    assert.equal(ownershipVerdict(ring, "a", { kind: "replica", partition: 0 }, undefined), "accept");
  });

  test("a sender with a newer ring is not refused on the receiver's stale knowledge", () => {
    assert.equal(ownershipVerdict(ring, "c", { kind: "replica", partition: 0 }, 6), "accept-newer-sender");
    assert.equal(
      ownershipVerdict(ring, "a", { kind: "replica", partition: 0 }, 2 ** 40),
      "accept-newer-sender",
    );
  });

  test("a receiver with no ring yet has nothing to fence with", () => {
    assert.equal(ownershipVerdict(undefined, "x", { kind: "replica", partition: 0 }, undefined), "accept");
  });
});

describe("ownership fencing: kv_hint", () => {
  test("a hint for a home replica of the partition is taken by any node standing in for it", () => {
    assert.equal(ownershipVerdict(ring, "c", { kind: "hint", partition: 0, target: "a" }, 5), "accept");
    assert.equal(ownershipVerdict(ring, "e", { kind: "hint", partition: 0, target: "b" }, 5), "accept");
  });

  test("a hint for a node receiving the partition is taken", () => {
    assert.equal(ownershipVerdict(ring, "a", { kind: "hint", partition: 2, target: "e" }, 5), "accept");
  });

  test("a hint for a node that is no replica of the partition is refused, whoever receives it", () => {
    assert.equal(ownershipVerdict(ring, "a", { kind: "hint", partition: 0, target: "c" }, 5), "refuse");
    assert.equal(ownershipVerdict(ring, "c", { kind: "hint", partition: 0, target: "e" }, 4), "refuse");
    assert.equal(ownershipVerdict(settled, "a", { kind: "hint", partition: 2, target: "e" }, 5), "refuse");
  });

  test("a hint from a sender with a newer ring is accepted", () => {
    assert.equal(
      ownershipVerdict(ring, "a", { kind: "hint", partition: 0, target: "c" }, 9),
      "accept-newer-sender",
    );
  });
});

test("isReplicaOf: a partition outside the ring is no one's", () => {
  assert.equal(isReplicaOf(ring, "a", -1), false);
  assert.equal(isReplicaOf(ring, "a", 4), false);
  assert.equal(isReplicaOf(ring, "a", 0.5), false);
});
