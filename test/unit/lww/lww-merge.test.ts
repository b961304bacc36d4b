import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { encodeContext, join } from "../../../src/core/causality/index.js";
import { causalResolution, lwwResolution } from "../../../src/core/conflict-mode.js";
import {
  HybridLogicalClock,
  type LwwStamp,
  lwwMerge,
  lwwObject,
  lwwSame,
  lwwWinner,
} from "../../../src/core/lww/index.js";
import { causalDigest } from "../../../src/core/merkle/index.js";
import {
  decodeStoredObject,
  encodeStoredObject,
  liveSiblings,
  type Sibling,
  type StoredObject,
  tombstone,
} from "../../../src/core/stored-object.js";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const live = (value: string): Sibling => ({
  value: text(value),
  contentType: "text/plain",
  deleted: false,
  writtenAtMs: 0,
});

// Few distinct values of each field, so equal stamps (the tie-break) come up often.
const stamp: fc.Arbitrary<LwwStamp> = fc.record({
  wallMs: fc.integer({ min: 0, max: 3 }),
  logical: fc.integer({ min: 0, max: 2 }),
  actor: fc.constantFrom("a@1", "b@1", "c@2"),
});
const sibling: fc.Arbitrary<Sibling> = fc.oneof(
  fc.constantFrom("x", "y", "").map(live),
  fc.constant(tombstone(0)),
);
const version: fc.Arbitrary<StoredObject> = fc.tuple(stamp, sibling).map(([s, v]) => lwwObject(s, v));

/** What a replica stores: the canonical bytes, so equal means byte-for-byte equal. */
const bytes = (o: StoredObject): string => Buffer.from(encodeStoredObject(o)).toString("hex");

test("lww merge is commutative, associative and idempotent, byte for byte", () => {
  fc.assert(
    fc.property(version, version, version, (a, b, c) => {
      assert.equal(bytes(lwwMerge(a, b)), bytes(lwwMerge(b, a)));
      assert.equal(bytes(lwwMerge(lwwMerge(a, b), c)), bytes(lwwMerge(a, lwwMerge(b, c))));
      assert.equal(bytes(lwwMerge(a, a)), bytes(a));
      assert.equal(bytes(lwwMerge(lwwMerge(a, b), b)), bytes(lwwMerge(a, b)));
    }),
  );
});

test("lww merge keeps exactly one version: the one with the highest stamp", () => {
  fc.assert(
    fc.property(fc.array(version, { minLength: 1, maxLength: 8 }), (versions) => {
      const merged = versions.reduce((x, y) => lwwMerge(x, y));
      assert.equal(merged.entries.length, 1);
      assert.equal(merged.entries[0]?.values.length, 1);
      const stamps = versions.map((v) => lwwWinner(v)?.stamp as LwwStamp);
      const top = stamps.reduce((best, s) =>
        s.wallMs > best.wallMs ||
        (s.wallMs === best.wallMs && s.logical > best.logical) ||
        (s.wallMs === best.wallMs && s.logical === best.logical && s.actor > best.actor)
          ? s
          : best,
      );
      assert.deepEqual(lwwWinner(merged)?.stamp, top);
    }),
  );
});

test("a later physical time wins over any logical count, and a higher logical count wins within a millisecond", () => {
  const early = lwwObject({ wallMs: 1000, logical: 99, actor: "z@1" }, live("early"));
  const late = lwwObject({ wallMs: 1001, logical: 0, actor: "a@1" }, live("late"));
  assert.equal(bytes(lwwMerge(early, late)), bytes(late));
  const first = lwwObject({ wallMs: 1001, logical: 1, actor: "a@1" }, live("second"));
  assert.equal(bytes(lwwMerge(late, first)), bytes(first));
});

test("equal clock stamps are broken by the coordinator's actor, the same way on every replica", () => {
  const fromA = lwwObject({ wallMs: 5, logical: 0, actor: "a@1" }, live("from a"));
  const fromB = lwwObject({ wallMs: 5, logical: 0, actor: "b@1" }, live("from b"));
  for (const merged of [lwwMerge(fromA, fromB), lwwMerge(fromB, fromA)]) {
    assert.equal(Buffer.from(liveSiblings(merged)[0]?.value ?? []).toString(), "from b");
  }
});

test("a newer tombstone wins over an older value and an older one loses to a newer value", () => {
  const value = lwwObject({ wallMs: 10, logical: 0, actor: "a@1" }, live("v"));
  const newerDelete = lwwObject({ wallMs: 11, logical: 0, actor: "b@1" }, tombstone(0));
  assert.deepEqual(liveSiblings(lwwMerge(value, newerDelete)), []);
  const olderDelete = lwwObject({ wallMs: 9, logical: 0, actor: "b@1" }, tombstone(0));
  assert.equal(liveSiblings(lwwMerge(value, olderDelete)).length, 1);
});

test("an object holding several versions merges as the set of them, into the stored form of the winner", () => {
  const several: StoredObject = {
    entries: [
      {
        actor: "a@1",
        counter: 3,
        values: [
          { ...live("a3"), writtenAtMs: 7 },
          { ...live("a2"), writtenAtMs: 8 },
        ],
      },
      { actor: "b@1", counter: 1, values: [{ ...live("b1"), writtenAtMs: 7 }] },
    ],
  };
  const merged = lwwMerge(several, { entries: [] });
  // a2 is dot (a@1, 2): stamp (8, 1, a@1), the highest.
  assert.equal(bytes(merged), bytes(lwwObject({ wallMs: 8, logical: 1, actor: "a@1" }, live("a2"))));
  assert.equal(lwwSame(merged, several), false);
  assert.equal(lwwSame(merged, lwwMerge(merged, several)), true);
});

test("equal versions have equal stored bytes and equal Merkle digests; different ones differ", () => {
  fc.assert(
    fc.property(version, version, (a, b) => {
      const ma = decodeStoredObject(encodeStoredObject(lwwMerge(a, b)));
      const mb = decodeStoredObject(encodeStoredObject(lwwMerge(b, a)));
      assert.deepEqual(causalDigest(ma), causalDigest(mb));
      assert.equal(lwwSame(a, b), bytes(a) === bytes(b));
      assert.equal(lwwSame(a, b), Buffer.from(causalDigest(a)).equals(Buffer.from(causalDigest(b))));
    }),
  );
});

test("the hybrid logical clock never repeats or goes back, even when the wall clock does", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.record({ kind: fc.constant("tick" as const), nowMs: fc.integer({ min: 0, max: 50 }) }),
          fc.record({
            kind: fc.constant("observe" as const),
            wallMs: fc.integer({ min: 0, max: 60 }),
            logical: fc.integer({ min: 0, max: 5 }),
          }),
        ),
        { maxLength: 40 },
      ),
      (steps) => {
        let now = 0;
        const clock = new HybridLogicalClock(() => now);
        let highest = { wallMs: -1, logical: 0 };
        const above = (x: { wallMs: number; logical: number }, y: typeof x): boolean =>
          x.wallMs > y.wallMs || (x.wallMs === y.wallMs && x.logical > y.logical);
        for (const step of steps) {
          if (step.kind === "observe") {
            clock.observe(step);
            if (above(step, highest)) highest = step;
            continue;
          }
          now = step.nowMs;
          const next = clock.next();
          assert.ok(above(next, highest), `${JSON.stringify(next)} is not above ${JSON.stringify(highest)}`);
          assert.ok(next.wallMs >= now, "a stamp is never behind the wall clock");
          highest = next;
        }
      },
    ),
  );
});

test("an lww write ignores its context, stamps above the version it replaces and leaves no sibling", () => {
  let now = 1000;
  const resolution = lwwResolution(() => now);
  const first = resolution.write({ entries: [] }, [], "a@1", live("first"));
  // The node's wall clock jumps back; the next write on top of `first` must still win.
  now = 500;
  const second = resolution.write(first, [], "a@1", live("second"));
  assert.equal(bytes(lwwMerge(first, second)), bytes(second));
  // A context that names other actors' counters changes nothing.
  const third = resolution.write(second, [["zz@9", 42]], "a@1", live("third"));
  assert.deepEqual(
    liveSiblings(third).map((s) => Buffer.from(s.value).toString()),
    ["third"],
  );
  assert.equal(third.entries.length, 1);
  // The context returned to a client is a valid one.
  assert.ok(encodeContext(join(third)).length > 0);
});

test("an lww node's clock moves past versions merged in from a node whose clock is ahead", () => {
  const resolution = lwwResolution(() => 100);
  const fromTheFuture = lwwObject({ wallMs: 90_000, logical: 3, actor: "b@1" }, live("ahead"));
  resolution.observe(fromTheFuture);
  const mine = resolution.write({ entries: [] }, [], "a@1", live("mine"));
  assert.equal(bytes(lwwMerge(fromTheFuture, mine)), bytes(mine));
});

test("causal mode still makes siblings of concurrent writes", () => {
  const a = causalResolution.write({ entries: [] }, [], "a@1", live("a"));
  const b = causalResolution.write({ entries: [] }, [], "b@1", live("b"));
  assert.equal(liveSiblings(causalResolution.merge(a, b)).length, 2);
});
