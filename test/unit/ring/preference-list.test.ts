import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { claim, ownershipCounts, preferenceList } from "../../../src/core/ring/index.js";

describe("preferenceList", () => {
  test("walks clockwise from the partition, skipping owners already listed, wrapping at the end", () => {
    const owners = ["a", "a", "b", "a", "c", "b"];
    assert.deepEqual(preferenceList(owners, 0), ["a", "b", "c"]);
    assert.deepEqual(preferenceList(owners, 4), ["c", "b", "a"]);
    assert.deepEqual(preferenceList(owners, 5, 2), ["b", "a"]);
    assert.deepEqual(preferenceList(owners, 1, 0), []);
  });

  test("a length above the member count returns every member once", () => {
    assert.deepEqual(preferenceList(["x", "y", "x", "y"], 1, 5), ["y", "x"]);
  });

  test("rejects a partition outside the ring and a negative or fractional length", () => {
    assert.throws(() => preferenceList(["a", "b"], 2), RangeError);
    assert.throws(() => preferenceList(["a", "b"], -1), RangeError);
    assert.throws(() => preferenceList(["a", "b"], 0.5), RangeError);
    assert.throws(() => preferenceList(["a", "b"], 0, -1), RangeError);
    assert.throws(() => preferenceList(["a", "b"], 0, 1.5), RangeError);
  });

  test("on any owners array it lists min(length, S) distinct members, the partition's owner first", () => {
    const ownersArb = fc
      .tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 64 }))
      .chain(([members, size]) =>
        fc.array(fc.integer({ min: 0, max: members - 1 }), { minLength: size, maxLength: size }),
      )
      .map((xs) => xs.map((x) => `m${x}`));
    fc.assert(
      fc.property(ownersArb, fc.nat(), fc.integer({ min: 0, max: 10 }), (owners, pick, length) => {
        const partition = pick % owners.length;
        const distinct = new Set(owners).size;
        const list = preferenceList(owners, partition, length);
        assert.equal(list.length, Math.min(length, distinct));
        assert.equal(new Set(list).size, list.length);
        if (length > 0) assert.equal(list[0], owners[partition]);
        // The default length lists every member: home replicas first, then all fallbacks.
        assert.deepEqual(new Set(preferenceList(owners, partition)), new Set(owners));
      }),
      { numRuns: 300 },
    );
  });

  test("on a claimed ring every partition has n distinct home replicas whenever S >= n, repeats or not", () => {
    // S = n = 3 with Q = 256 cannot be window-distinct (3 does not divide 256); the list still is.
    for (const members of [
      ["a", "b", "c"],
      ["a", "b", "c", "d"],
      ["a", "b"],
    ]) {
      const owners = claim(undefined, members, 256, 3);
      for (let p = 0; p < 256; p++) {
        const list = preferenceList(owners, p, 3);
        assert.equal(list.length, Math.min(3, members.length));
        assert.equal(new Set(list).size, list.length);
      }
    }
  });
});

describe("ownershipCounts", () => {
  test("counts primary partitions per owner", () => {
    assert.deepEqual(
      ownershipCounts(["a", "b", "a", "c", "a"]),
      new Map([
        ["a", 3],
        ["b", 1],
        ["c", 1],
      ]),
    );
    assert.deepEqual(ownershipCounts([]), new Map());
  });
});
