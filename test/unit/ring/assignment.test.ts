import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { maxWeightAssignment } from "../../../src/core/ring/assignment.js";

function bestByBruteForce(weights: number[][]): number {
  const k = weights.length;
  let best = Number.NEGATIVE_INFINITY;
  const used = new Array<boolean>(k).fill(false);
  const search = (row: number, total: number): void => {
    if (row === k) {
      best = Math.max(best, total);
      return;
    }
    for (let c = 0; c < k; c++) {
      if (used[c]) continue;
      used[c] = true;
      search(row + 1, total + (weights[row]?.[c] ?? 0));
      used[c] = false;
    }
  };
  search(0, 0);
  return best;
}

describe("maxWeightAssignment (labels a layout's slots with members)", () => {
  test("returns a permutation whose total weight is the maximum over all permutations", () => {
    const matrix = fc.integer({ min: 1, max: 6 }).chain((k) =>
      fc.array(fc.array(fc.nat({ max: 50 }), { minLength: k, maxLength: k }), {
        minLength: k,
        maxLength: k,
      }),
    );
    fc.assert(
      fc.property(matrix, (weights) => {
        const columnOf = maxWeightAssignment(weights);
        assert.deepEqual(
          [...columnOf].sort((a, b) => a - b),
          weights.map((_, i) => i),
        );
        const total = columnOf.reduce((sum, c, row) => sum + (weights[row]?.[c] ?? 0), 0);
        assert.equal(total, bestByBruteForce(weights));
      }),
      { numRuns: 300 },
    );
  });

  test("rejects a matrix that is not square", () => {
    assert.throws(() => maxWeightAssignment([[1, 2]]), RangeError);
  });
});
