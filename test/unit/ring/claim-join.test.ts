import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { claim, movedPartitions, windowViolations } from "../../../src/core/ring/index.js";
import { assertBalanced, countOf, history, memberIds, play, ringShape, type Step } from "./ring-cases.js";

/** A join to S' != n: at most 1.25 Q/S' entries change, and every one of them goes to the new node. */
function assertMinimalJoin(step: Step, partitions: number): void {
  const size = step.membersAfter.length;
  const moved = movedPartitions(step.before, step.after);
  assert.ok(moved <= (1.25 * partitions) / size, `moved ${moved} > 1.25 * ${partitions}/${size}`);
  for (let p = 0; p < partitions; p++) {
    if (step.before[p] !== step.after[p])
      assert.equal(step.after[p], step.node, `partition ${p} went to an old member`);
  }
  assert.equal(countOf(step.after, step.node), Math.floor(partitions / size));
}

describe("claim when one node joins", () => {
  test("a join to a ring of every size 2..64 (S' != n) moves at most 1.25 Q/S' partitions, all to the new node", () => {
    fc.assert(
      fc.property(
        ringShape,
        fc.integer({ min: 1, max: 63 }).chain(memberIds),
        ({ partitions, n }, members) => {
          fc.pre(members.length + 1 !== n);
          const before = claim(undefined, members, partitions, n);
          const membersAfter = [...members, "new-node"];
          const after = claim(before, membersAfter, partitions, n);
          assertBalanced(after, membersAfter);
          assertMinimalJoin(
            { kind: "join", before, after, membersBefore: members, membersAfter, node: "new-node" },
            partitions,
          );
        },
      ),
      { numRuns: 400 },
    );
  });

  test("joins in random join/removal histories (S' != n) move at most 1.25 Q/S' partitions, all to the new node", () => {
    fc.assert(
      fc.property(history, (h) => {
        for (const step of play(h)) {
          if (step.kind === "join" && step.membersAfter.length !== h.shape.n)
            assertMinimalJoin(step, h.shape.partitions);
        }
      }),
      { numRuns: 250 },
    );
  });

  test("a fifth node joining four (n = 3, Q = 256) takes 51 partitions, 12 or 13 from each", () => {
    const members = ["a", "b", "c", "d"];
    const before = claim(undefined, members, 256, 3);
    const after = claim(before, [...members, "e"], 256, 3);
    assert.equal(movedPartitions(before, after), 51);
    assert.equal(countOf(after, "e"), 51);
    for (const m of members) assert.ok([12, 13].includes(countOf(before, m) - countOf(after, m)));
    assert.equal(windowViolations(after, 3), 0);
  });

  test("the join that brings a ring to n members re-stripes it: period n when n divides Q", () => {
    // Every node is then a home replica of every partition, so no data moves whatever the owners.
    const before = claim(undefined, ["a", "b", "c"], 256, 4);
    const after = claim(before, ["a", "b", "c", "d"], 256, 4);
    for (let p = 0; p < 256; p++) assert.equal(after[p], after[p % 4]);
    assert.equal(windowViolations(after, 4), 0);
  });

  test("a node joining a ring of n members (n = 3 not dividing Q) clears every repeated window", () => {
    const members = ["a", "b", "c"];
    const before = claim(undefined, members, 1024, 3);
    assert.equal(windowViolations(before, 3), 2);
    const after = claim(before, [...members, "d"], 1024, 3);
    assert.equal(windowViolations(after, 3), 0);
    assert.equal(movedPartitions(before, after), 256);
  });
});
