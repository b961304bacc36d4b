import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { preferenceList, windowsAchievable, windowViolations } from "../../../src/core/ring/index.js";
import { assertBalanced, history, play } from "./ring-cases.js";

describe("claim over random join/removal histories from a created ring", () => {
  test("after every step the ring is balanced and, whenever achievable, window-distinct", () => {
    fc.assert(
      fc.property(history, (h) => {
        const { partitions, n } = h.shape;
        for (const step of play(h)) {
          const size = step.membersAfter.length;
          assertBalanced(step.after, step.membersAfter);
          const repeats = windowViolations(step.after, n);
          if (windowsAchievable(partitions, size, n))
            assert.equal(repeats, 0, `${step.kind} to ${size} members`);
          // With exactly n members not dividing Q the ring is the striped one with its repeats spread out.
          else if (size === n) assert.equal(repeats, (partitions % n) * (n - 1));
        }
      }),
      { numRuns: 400 },
    );
  });

  test("after every step each partition's first n preference-list entries are distinct when S >= n", () => {
    fc.assert(
      fc.property(history, fc.nat(), (h, pick) => {
        const { partitions, n } = h.shape;
        for (const step of play(h)) {
          const expected = Math.min(n, step.membersAfter.length);
          for (let i = 0; i < 16; i++) {
            const list = preferenceList(step.after, (pick + i * 61) % partitions, n);
            assert.equal(new Set(list).size, expected);
          }
        }
      }),
      { numRuns: 100 },
    );
  });
});
