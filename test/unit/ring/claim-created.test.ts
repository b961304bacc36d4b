import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { claim, ownershipCounts, windowsAchievable, windowViolations } from "../../../src/core/ring/index.js";
import { assertBalanced, membersUpTo64, ringShape } from "./ring-cases.js";

describe("claim of a new ring (no previous owners)", () => {
  test("every member owns floor(Q/S) or ceil(Q/S) partitions, so max/mean <= 1.10 wherever Q/S >= 16", () => {
    fc.assert(
      fc.property(ringShape, membersUpTo64, ({ partitions, n }, members) => {
        const owners = claim(undefined, members, partitions, n);
        assert.equal(owners.length, partitions);
        assertBalanced(owners, members);
        const counts = [...ownershipCounts(owners).values()];
        const mean = partitions / members.length;
        if (mean >= 16) assert.ok(Math.max(...counts) / mean <= 1.1);
      }),
      { numRuns: 400 },
    );
  });

  test("every n consecutive partitions have n distinct owners whenever that is achievable", () => {
    fc.assert(
      fc.property(ringShape, membersUpTo64, ({ partitions, n }, members) => {
        const owners = claim(undefined, members, partitions, n);
        if (windowsAchievable(partitions, members.length, n)) assert.equal(windowViolations(owners, n), 0);
      }),
      { numRuns: 400 },
    );
  });

  test("with S = n not dividing Q (n = 3, Q = 256) exactly (Q mod n) * (n - 1) windows repeat", () => {
    for (const [partitions, n] of [
      [256, 3],
      [1024, 3],
      [1024, 5],
      [512, 3],
    ] as const) {
      const members = Array.from({ length: n }, (_, i) => `node-${i}`);
      assert.equal(windowViolations(claim(undefined, members, partitions, n), n), (partitions % n) * (n - 1));
    }
  });

  test("with S = n dividing Q the ring repeats the n members in a fixed order", () => {
    const owners = claim(undefined, ["d", "b", "a", "c"], 256, 4);
    for (let p = 0; p < 256; p++) assert.equal(owners[p], owners[p % 4]);
    assert.deepEqual(owners.slice(0, 4), ["a", "b", "c", "d"]);
  });

  test("four members with n = 3 and Q = 256 own 64 partitions each, all windows distinct", () => {
    const owners = claim(undefined, ["n1", "n2", "n3", "n4"], 256, 3);
    assert.deepEqual([...ownershipCounts(owners).values()], [64, 64, 64, 64]);
    assert.equal(windowViolations(owners, 3), 0);
  });

  test("one member owns everything", () => {
    assert.deepEqual(claim(undefined, ["solo"], 64, 3), new Array(64).fill("solo"));
  });
});
