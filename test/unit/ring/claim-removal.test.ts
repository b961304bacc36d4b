import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { claim, movedPartitions, windowViolations } from "../../../src/core/ring/index.js";
import { countOf, history, play, type Step } from "./ring-cases.js";

/**
 * The documented removal bound for S' >= 2n - 1: the removed node's partitions, plus one more
 * for each partition that a member near all of them must gain instead (at most 2n - 2 such
 * members, each gaining at most ceil(Q/S') - floor(Q/S)).
 */
function removalBound(step: Step, partitions: number, n: number): number {
  const size = step.membersBefore.length;
  const gainMax = Math.ceil(partitions / (size - 1)) - Math.floor(partitions / size);
  return countOf(step.before, step.node) + (2 * n - 2) * gainMax;
}

describe("claim when one node is removed", () => {
  test("in random histories: below n members exactly the removed node's partitions move", () => {
    fc.assert(
      fc.property(history, (h) => {
        for (const step of play(h)) {
          if (step.kind !== "remove" || step.membersAfter.length >= h.shape.n) continue;
          for (let p = 0; p < h.shape.partitions; p++) {
            assert.equal(step.before[p] !== step.after[p], step.before[p] === step.node, `partition ${p}`);
          }
        }
      }),
      { numRuns: 250 },
    );
  });

  test("in random histories: with S' >= 2n - 1 every partition of the removed node moves, and at most (2n - 2) * (ceil(Q/S') - floor(Q/S)) others", () => {
    fc.assert(
      fc.property(history, (h) => {
        const { partitions, n } = h.shape;
        for (const step of play(h)) {
          if (step.kind !== "remove" || step.membersAfter.length < 2 * n - 1 || step.membersAfter.length <= n)
            continue;
          for (let p = 0; p < partitions; p++) {
            if (step.before[p] === step.node) assert.notEqual(step.after[p], step.node);
          }
          const moved = movedPartitions(step.before, step.after);
          assert.ok(
            moved <= removalBound(step, partitions, n),
            `moved ${moved} > ${removalBound(step, partitions, n)}`,
          );
        }
      }),
      { numRuns: 300 },
    );
  });

  test("removing any one of 64 members (n = 3, Q = 1024) moves its 16 partitions and at most 4 * 1 others", () => {
    const members = Array.from({ length: 64 }, (_, i) => `node-${String(i).padStart(2, "0")}`);
    const before = claim(undefined, members, 1024, 3);
    for (const gone of members) {
      const after = claim(
        before,
        members.filter((m) => m !== gone),
        1024,
        3,
      );
      const moved = movedPartitions(before, after);
      assert.ok(moved >= 16 && moved <= 16 + 4 * (17 - 16), `${gone}: moved ${moved}`);
      assert.equal(windowViolations(after, 3), 0);
    }
  });

  test("removing one of five members (n = 3, Q = 256) moves its own partitions and at most one more", () => {
    const members = ["a", "b", "c", "d", "e"];
    const before = claim(undefined, members, 256, 3);
    for (const gone of members) {
      const after = claim(
        before,
        members.filter((m) => m !== gone),
        256,
        3,
      );
      const moved = movedPartitions(before, after);
      assert.ok(
        moved >= countOf(before, gone) && moved <= countOf(before, gone) + 1,
        `${gone}: moved ${moved}`,
      );
      assert.equal(windowViolations(after, 3), 0);
    }
  });

  test("the removal that leaves n members re-stripes to period n when n divides Q", () => {
    const members = ["a", "b", "c", "d", "e"];
    const before = claim(undefined, members, 1024, 4);
    const after = claim(before, members.slice(1), 1024, 4);
    for (let p = 0; p < 1024; p++) assert.equal(after[p], after[p % 4]);
  });
});
