import assert from "node:assert/strict";
import { test } from "node:test";
import { checkSets } from "./checker.js";
import type { AddRecord } from "./history.js";
import { decodeSet, encodeSet } from "./set-codec.js";

const add = (element: number, outcome: AddRecord["outcome"], sent = true, key = "k"): AddRecord => ({
  key,
  element,
  outcome,
  sent,
  node: "n1",
  detail: "",
  startedAtMs: 0,
  endedAtMs: 0,
});

test("the set checker counts acknowledged, failed, unknown, unacknowledged-but-present, lost and phantom elements", () => {
  const records = [add(1, "ok"), add(2, "ok"), add(3, "failed"), add(4, "unknown"), add(5, "failed", false)];
  const result = checkSets(records, new Map([["k", new Set([1, 3, 4, 99])]]));
  assert.equal(result.acknowledged, 2);
  assert.equal(result.failed, 2);
  assert.equal(result.unknown, 1);
  assert.equal(result.unackedPresent, 2);
  assert.equal(result.lost, 1);
  assert.deepEqual(
    result.lostElements.map((r) => r.element),
    [2],
  );
  assert.equal(result.phantom, 1);
  assert.deepEqual(result.phantomElements, [{ key: "k", element: 99 }]);
});

test("an element is checked against its own key's set only", () => {
  const result = checkSets([add(1, "ok", true, "a")], new Map([["b", new Set([1])]]));
  assert.equal(result.lost, 1);
  assert.equal(result.phantom, 1);
});

test("sets round-trip through their stored form, and anything else is refused", () => {
  assert.deepEqual(decodeSet(encodeSet([3, 1, 2, 3])), [1, 2, 3]);
  assert.throws(() => decodeSet('{"a":1}'), /not a set value/);
  assert.throws(() => decodeSet("[1.5]"), /not a set value/);
});
