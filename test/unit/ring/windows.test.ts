import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { violatingWindowStarts, windowViolations } from "../../../src/core/ring/index.js";

describe("window checks", () => {
  test("a window repeating an owner is reported by its start, including windows across the end", () => {
    // Windows of 3 over a b c a b a (cyclic): abc bca cab aba(3) baa(4) aab(5).
    assert.deepEqual(violatingWindowStarts(["a", "b", "c", "a", "b", "a"], 3), [3, 4, 5]);
    assert.equal(windowViolations(["a", "b", "c", "a", "b", "c"], 3), 0);
    assert.equal(windowViolations(["a", "b", "c", "a", "b", "c"], 4), 6);
  });

  test("windows of one never repeat, and a window longer than the ring always does", () => {
    assert.equal(windowViolations(["a", "a", "a"], 1), 0);
    assert.equal(windowViolations(["a", "b", "c"], 4), 3);
  });

  test("rejects a window length that is not a positive integer", () => {
    assert.throws(() => windowViolations(["a"], 0), RangeError);
    assert.throws(() => windowViolations(["a"], 1.5), RangeError);
  });
});
