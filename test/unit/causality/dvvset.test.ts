import assert from "node:assert/strict";
import { test } from "node:test";
import {
  assertValidDvvSet,
  type DvvSet,
  descends,
  discard,
  emptyDvvSet,
  join,
  sync,
  update,
  valueCount,
  values,
} from "../../../src/core/causality/index.js";

const blind: readonly [] = [];

test("the first write to a key gets dot (actor, 1) and a context naming only that actor", () => {
  const s = update(emptyDvvSet<string>(), blind, "a", "v1");
  assert.deepEqual(s, { entries: [{ actor: "a", counter: 1, values: ["v1"] }] });
  assert.deepEqual(join(s), [["a", 1]]);
});

test("a write with the context of the previous read replaces the value", () => {
  const s1 = update(emptyDvvSet<string>(), blind, "a", "v1");
  const s2 = update(s1, join(s1), "a", "v2");
  assert.deepEqual(values(s2), ["v2"]);
  assert.deepEqual(join(s2), [["a", 2]]);
});

test("a blind write next to an existing value becomes a sibling", () => {
  const s1 = update(emptyDvvSet<string>(), blind, "a", "v1");
  const s2 = update(s1, blind, "a", "v2");
  assert.deepEqual(values(s2), ["v2", "v1"]);
  assert.equal(valueCount(s2), 2);
});

test("concurrent writes at two coordinators become siblings that one write with the merged context resolves", () => {
  const base = update(emptyDvvSet<string>(), blind, "a", "v0");
  const ctx = join(base);
  const atA = update(base, ctx, "a", "from-a");
  const atB = update(base, ctx, "b", "from-b");
  const merged = sync(atA, atB);
  assert.deepEqual(values(merged).sort(), ["from-a", "from-b"]);
  assert.deepEqual(join(merged), [
    ["a", 2],
    ["b", 1],
  ]);
  const resolved = update(atB, join(merged), "b", "resolved");
  assert.deepEqual(values(sync(merged, resolved)), ["resolved"]);
});

test("sync of a set with a stale copy of itself keeps the newer values only", () => {
  const s1 = update(emptyDvvSet<string>(), blind, "a", "v1");
  const s2 = update(s1, join(s1), "a", "v2");
  assert.deepEqual(values(sync(s1, s2)), ["v2"]);
  assert.deepEqual(values(sync(s2, s1)), ["v2"]);
});

test("sync with the empty set returns the other set unchanged", () => {
  const s = update(emptyDvvSet<string>(), blind, "a", "v1");
  assert.equal(sync(s, emptyDvvSet()), s);
  assert.equal(sync(emptyDvvSet(), s), s);
});

test("a delete is a tombstone written with the read's context, superseding every value it saw", () => {
  const tomb = { deleted: true };
  const live = { deleted: false };
  let s: DvvSet<{ deleted: boolean }> = update(emptyDvvSet(), blind, "a", live);
  s = update(s, blind, "b", live);
  s = update(s, join(s), "a", tomb);
  assert.deepEqual(values(s), [tomb]);
  // A write that did not see the delete survives next to the tombstone.
  const concurrent = update(emptyDvvSet<{ deleted: boolean }>(), [["b", 1]], "b", live);
  assert.deepEqual(values(sync(s, concurrent)), [tomb, live]);
});

test("discard drops exactly the values the context covers and keeps the counters", () => {
  let s = emptyDvvSet<string>();
  s = update(s, blind, "a", "a1");
  s = update(s, blind, "a", "a2");
  s = update(s, blind, "a", "a3");
  s = update(s, blind, "b", "b1");
  const d = discard(s, [
    ["a", 2],
    ["c", 9],
  ]);
  assert.deepEqual(values(d), ["a3", "b1"]);
  assert.deepEqual(join(d), join(s));
  assertValidDvvSet(d);
  assert.deepEqual(values(discard(s, join(s))), []);
  assert.deepEqual(join(discard(s, join(s))), join(s));
  assert.equal(discard(s, []), s);
});

test("discard with a context beyond the set's counters does not raise them", () => {
  const s = update(emptyDvvSet<string>(), blind, "a", "a1");
  const d = discard(s, [["a", 5]]);
  assert.deepEqual(d, { entries: [{ actor: "a", counter: 1, values: [] }] });
});

test("descends compares version vectors pointwise, missing actors counting as zero", () => {
  assert.ok(descends([], []));
  assert.ok(descends([["a", 1]], []));
  assert.ok(!descends([], [["a", 1]]));
  assert.ok(
    descends(
      [
        ["a", 2],
        ["b", 1],
      ],
      [["a", 2]],
    ),
  );
  assert.ok(!descends([["a", 2]], [["b", 1]]));
  assert.ok(
    !descends(
      [
        ["a", 2],
        ["c", 1],
      ],
      [
        ["a", 1],
        ["b", 1],
        ["c", 1],
      ],
    ),
  );
  assert.ok(!descends([["a", 1]], [["a", 2]]));
});

test("actors are ordered by plain string comparison", () => {
  let s = emptyDvvSet<number>();
  for (const actor of ["node-2", "node-10", "b", "A", "é"]) s = update(s, blind, actor, 0);
  assert.deepEqual(
    join(s).map(([a]) => a),
    ["A", "b", "node-10", "node-2", "é"],
  );
});

test("update refuses a malformed context or actor as a bug", () => {
  const s = emptyDvvSet<number>();
  assert.throws(
    () =>
      update(
        s,
        [
          ["b", 1],
          ["a", 1],
        ],
        "a",
        1,
      ),
    /not strictly increasing/,
  );
  assert.throws(() => update(s, [["a", 0]], "a", 1), /counter/);
  assert.throws(() => update(s, [], "", 1), /actor id is empty/);
  assert.throws(() => update(s, [], "x".repeat(256), 1), /longer than 255/);
});

test("assertValidDvvSet rejects unsorted actors, zero counters and more values than dots", () => {
  assert.throws(() =>
    assertValidDvvSet({
      entries: [
        { actor: "b", counter: 1, values: [] },
        { actor: "a", counter: 1, values: [] },
      ],
    }),
  );
  assert.throws(() => assertValidDvvSet({ entries: [{ actor: "a", counter: 0, values: [] }] }));
  assert.throws(() => assertValidDvvSet({ entries: [{ actor: "a", counter: 1, values: [1, 2] }] }));
  assert.throws(() => assertValidDvvSet({ entries: [{ actor: "a", counter: 1.5, values: [] }] }));
  assertValidDvvSet({ entries: [{ actor: "a", counter: 2, values: [1, 2] }] });
});

test("inputs are never mutated", () => {
  const s1 = update(emptyDvvSet<string>(), blind, "a", "v1");
  const snapshot = structuredClone(s1);
  const ctx = join(s1);
  update(s1, ctx, "a", "v2");
  update(s1, [], "b", "v3");
  sync(s1, update(s1, [], "a", "v4"));
  discard(s1, ctx);
  assert.deepEqual(s1, snapshot);
});
