import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { claim, zoneSharedPartitions } from "../../../src/core/ring/index.js";

const zones = new Map([
  ["a1", "A"],
  ["a2", "A"],
  ["b1", "B"],
  ["c1", "C"],
]);

describe("zoneSharedPartitions", () => {
  test("counts the partitions whose home replicas share a zone", () => {
    // Home replicas (n=3) of p0: a1,a2,b1 (A twice); p1: a2,b1,c1; p2: b1,c1,a1; p3: c1,a1,a2 (A twice).
    const owners = ["a1", "a2", "b1", "c1"];
    assert.equal(zoneSharedPartitions(owners, 3, zones), 2);
  });

  test("is 0 when every partition's home replicas are in distinct zones", () => {
    const owners = ["a1", "b1", "c1", "a2", "b1", "c1"];
    assert.equal(zoneSharedPartitions(owners, 3, zones), 0);
  });

  test("is 0 when the owners span fewer than n zones: nothing is promised", () => {
    const owners = ["a1", "a2", "b1", "a1", "a2", "b1"];
    assert.equal(zoneSharedPartitions(owners, 3, zones), 0);
  });

  test("a member without a zone is a zone of its own", () => {
    const owners = ["w", "x", "y", "z", "w", "x", "y", "z"];
    assert.equal(zoneSharedPartitions(owners, 3, new Map()), 0);
    // x and y share zone A; w and z have none. Home replicas of p0 (w,x,y) and p1 (x,y,z) share A,
    // p2 (y,z,w) and p3 (z,w,x) do not; the ring repeats twice.
    const twoInA = new Map([
      ["x", "A"],
      ["y", "A"],
    ]);
    assert.equal(zoneSharedPartitions(owners, 3, twoInA), 4);
  });

  test("the zone-aware claim of six members in three zones gives 0; the claim without zones need not", () => {
    const members = ["n1", "n2", "n3", "n4", "n5", "n6"];
    const sixZones = new Map(members.map((id, i) => [id, `z${i % 3}`]));
    assert.equal(zoneSharedPartitions(claim(undefined, members, 64, 3, sixZones), 3, sixZones), 0);
    // The same members as if zones were unknown: the ring ignores zones, and the check sees it.
    const blind = claim(undefined, members, 64, 3);
    const lopsided = new Map(members.map((id, i) => [id, i < 2 ? "z0" : i < 4 ? "z1" : "z2"]));
    assert.ok(zoneSharedPartitions(blind, 3, lopsided) > 0);
  });
});
