import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { claim, windowsAchievable, windowViolations } from "../../../src/core/ring/index.js";
import { history, play } from "./ring-cases.js";

function shuffled<T>(items: readonly T[], keys: readonly number[]): T[] {
  return items
    .map((item, i) => ({ item, key: keys[i % Math.max(1, keys.length)] ?? 0, i }))
    .sort((a, b) => a.key - b.key || a.i - b.i)
    .map(({ item }) => item);
}

describe("claim's contract", () => {
  test("the same previous ring and member set give the same owners, whatever the member order or duplicates", () => {
    fc.assert(
      fc.property(history, fc.array(fc.nat(), { minLength: 1, maxLength: 64 }), (h, keys) => {
        const steps = play(h);
        const last = steps[steps.length - 1];
        assert.ok(last !== undefined);
        const { partitions, n } = h.shape;
        const again = claim(
          last.before,
          shuffled([...last.membersAfter, ...last.membersAfter.slice(0, 2)], keys),
          partitions,
          n,
        );
        assert.deepEqual(again, last.after);
        assert.deepEqual(
          claim(undefined, shuffled(h.initial, keys), partitions, n),
          claim(undefined, h.initial, partitions, n),
        );
      }),
      { numRuns: 100 },
    );
  });

  test("claiming again with the same members returns the ring unchanged", () => {
    fc.assert(
      fc.property(history, (h) => {
        const { partitions, n } = h.shape;
        for (const step of play(h))
          assert.deepEqual(claim(step.after, step.membersAfter, partitions, n), step.after);
      }),
      { numRuns: 100 },
    );
  });

  test("any balanced, window-distinct ring (here: a claimed ring rotated) is returned unchanged", () => {
    fc.assert(
      fc.property(history, fc.nat(), (h, shift) => {
        const { partitions, n } = h.shape;
        for (const step of play(h)) {
          if (windowViolations(step.after, n) > 0) continue;
          const k = shift % partitions;
          const rotated = [...step.after.slice(k), ...step.after.slice(0, k)];
          assert.deepEqual(claim(rotated, step.membersAfter, partitions, n), rotated);
        }
      }),
      { numRuns: 100 },
    );
  });

  test("hand-made balanced, window-distinct rings are returned unchanged", () => {
    // Period 4 over 4 members with n = 3, in an order the stripe would not choose.
    const owners = Array.from({ length: 256 }, (_, p) => ["d", "a", "c", "b"][p % 4] as string);
    assert.deepEqual(claim(owners, ["a", "b", "c", "d"], 256, 3), owners);
    // Five members with n = 3: round robin, the one extra partition (Q = 5 * 51 + 1) owned by m2.
    const five = Array.from({ length: 256 }, (_, p) => (p === 255 ? "m2" : `m${p % 5}`));
    assert.equal(windowViolations(five, 3), 0);
    assert.ok(windowsAchievable(256, 5, 3));
    assert.deepEqual(claim(five, ["m0", "m1", "m2", "m3", "m4"], 256, 3), five);
  });

  test("rejects a partition count that is not a power of two, a bad n, no members, too many members or a ring of another size", () => {
    assert.throws(() => claim(undefined, ["a"], 100, 3), RangeError);
    assert.throws(() => claim(undefined, ["a"], 256, 0), RangeError);
    assert.throws(() => claim(undefined, [], 256, 3), RangeError);
    assert.throws(() => claim(undefined, ["a", "b", "c"], 2, 1), RangeError);
    assert.throws(() => claim(["a", "a"], ["a"], 4, 1), RangeError);
  });
});
