import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { defaultTreeOptions, segmentOf, TicTacTree } from "../../../src/core/merkle/index.js";
import { partitionOf } from "../../../src/core/partition.js";
import {
  allBranchIds,
  type DigestMap,
  digestArb,
  hex,
  keyPoolArb,
  segmentsArb,
  snapshot,
  treeOf,
} from "./tree-fixtures.js";

const digest = (byte: number): Uint8Array => new Uint8Array(16).fill(byte);
const key = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A write (digest) or a delete (undefined) of the key at pool index `at`. */
const opArb = fc.record({ at: fc.nat(), digest: fc.option(digestArb, { nil: undefined }) });

test("a tree updated through random inserts, changes and deletes equals a tree built from the final map", () => {
  fc.assert(
    fc.property(segmentsArb, keyPoolArb, fc.array(opArb, { maxLength: 200 }), (segments, pool, ops) => {
      const tree = new TicTacTree({ segments });
      const map: DigestMap = new Map();
      for (const op of ops) {
        const k = pool[op.at % pool.length] as Uint8Array;
        tree.update(k, map.get(hex(k))?.[1], op.digest);
        if (op.digest === undefined) map.delete(hex(k));
        else map.set(hex(k), [k, op.digest]);
      }
      assert.deepEqual(snapshot(tree), snapshot(treeOf(map, segments)));
      // Guards against a tree that ignores updates, which would make the comparison above vacuous.
      assert.equal(tree.keyCount, map.size);
      assert.equal(hex(tree.root()) === "0000000000000000", map.size === 0);
    }),
    { numRuns: 150 },
  );
});

test("the same final map reached through different update orders and detours gives equal trees", () => {
  const caseArb = fc
    .tuple(segmentsArb, keyPoolArb)
    .chain(([segments, pool]) =>
      fc.tuple(
        fc.constant(segments),
        fc.array(digestArb, { minLength: pool.length, maxLength: pool.length }),
        fc.shuffledSubarray(pool, { minLength: pool.length }),
        fc.shuffledSubarray(pool, { minLength: pool.length }),
        fc.array(digestArb, { minLength: pool.length, maxLength: pool.length }),
      ),
    );
  fc.assert(
    fc.property(caseArb, ([segments, finals, orderA, orderB, detours]) => {
      const final = new Map(orderA.map((k, i) => [hex(k), finals[i] as Uint8Array]));
      const direct = new TicTacTree({ segments });
      for (const k of orderA) direct.update(k, undefined, final.get(hex(k)));
      // The other replica sees each key first with another digest, then deleted, then the final one.
      const winding = new TicTacTree({ segments });
      orderB.forEach((k, i) => {
        const detour = detours[i] as Uint8Array;
        winding.update(k, undefined, detour);
        winding.update(k, detour, undefined);
        winding.update(k, undefined, detour);
        winding.update(k, detour, final.get(hex(k)));
      });
      assert.deepEqual(snapshot(winding), snapshot(direct));
    }),
    { numRuns: 100 },
  );
});

test("inserting a key changes exactly the leaf of segmentOf(key), its branch and the root", () => {
  fc.assert(
    fc.property(segmentsArb, keyPoolArb, digestArb, (segments, pool, d) => {
      const [first, ...others] = pool as [Uint8Array, ...Uint8Array[]];
      const tree = new TicTacTree({ segments });
      for (const k of others) tree.update(k, undefined, digest(7));
      const before = tree.leaves(allBranchIds(tree));
      const rootBefore = hex(tree.root());
      tree.update(first, undefined, d);
      const after = tree.leaves(allBranchIds(tree));
      const changed: number[] = [];
      for (let s = 0; s < segments; s++) {
        if (hex(before.subarray(1 + s * 8, 9 + s * 8)) !== hex(after.subarray(1 + s * 8, 9 + s * 8))) {
          changed.push(s);
        }
      }
      assert.deepEqual(changed, [segmentOf(first, segments)]);
      assert.notEqual(hex(tree.root()), rootBefore);
    }),
    { numRuns: 100 },
  );
});

test("keyCount counts inserts and deletes, not changes", () => {
  const tree = new TicTacTree(defaultTreeOptions);
  tree.update(key("a"), undefined, digest(1));
  tree.update(key("b"), undefined, digest(1));
  tree.update(key("a"), digest(1), digest(2));
  assert.equal(tree.keyCount, 2);
  tree.update(key("b"), digest(1), undefined);
  assert.equal(tree.keyCount, 1);
  tree.update(key("c"), undefined, undefined);
  assert.equal(tree.keyCount, 1);
});

test("an update whose digest did not change leaves the tree as it was", () => {
  const tree = new TicTacTree(defaultTreeOptions);
  tree.update(key("a"), undefined, digest(1));
  const before = snapshot(tree);
  tree.update(key("a"), digest(1), Uint8Array.from(digest(1)));
  assert.deepEqual(snapshot(tree), before);
});

test("clear returns a tree to the state of a new one, and deleting every key does too", () => {
  const empty = snapshot(new TicTacTree(defaultTreeOptions));
  const tree = new TicTacTree(defaultTreeOptions);
  for (let i = 0; i < 100; i++) tree.update(key(`k${i}`), undefined, digest(i));
  assert.notDeepEqual(snapshot(tree), empty);
  for (let i = 0; i < 100; i++) tree.update(key(`k${i}`), digest(i), undefined);
  assert.deepEqual(snapshot(tree), empty);
  for (let i = 0; i < 100; i++) tree.update(key(`k${i}`), undefined, digest(i));
  tree.clear();
  assert.deepEqual(snapshot(tree), empty);
});

test("the root does not depend on the segment count, so trees of any size can compare roots", () => {
  const small = new TicTacTree({ segments: 64 });
  const large = new TicTacTree({ segments: 65536 });
  for (let i = 0; i < 50; i++) {
    small.update(key(`k${i}`), undefined, digest(i));
    large.update(key(`k${i}`), undefined, digest(i));
  }
  assert.equal(hex(small.root()), hex(large.root()));
});

test("message sizes for 1024 segments: root 8 bytes, branches 1 + 32 x 8, leaves 1 + 32 x 8 per branch", () => {
  const tree = new TicTacTree({ segments: 1024 });
  assert.equal(tree.root().length, 8);
  assert.equal(tree.branches().length, 257);
  assert.equal(tree.leaves([3]).length, 257);
  assert.equal(tree.leaves([0, 5, 31]).length, 1 + 3 * 256);
  assert.equal(tree.leaves(allBranchIds(tree)).length, 1 + 1024 * 8);
});

test("a partition's keys spread over all segments although they share their partition hash bits", () => {
  const segments = 64;
  const counts = new Array<number>(segments).fill(0);
  let inPartition = 0;
  for (let i = 0; inPartition < segments * 100; i++) {
    const k = key(`user:${i}`);
    if (partitionOf(k, 16) !== 5) continue;
    inPartition++;
    const s = segmentOf(k, segments);
    counts[s] = (counts[s] as number) + 1;
  }
  // Mean 100 per segment, standard deviation about 10: 50..150 is a five-sigma band.
  assert.ok(Math.min(...counts) >= 50 && Math.max(...counts) <= 150, `segment counts ${counts.join(",")}`);
});

test("segmentOf is in range and the same for equal keys built separately", () => {
  fc.assert(
    fc.property(segmentsArb, keyPoolArb, (segments, pool) => {
      for (const k of pool) {
        const s = segmentOf(k, segments);
        assert.ok(Number.isInteger(s) && s >= 0 && s < segments);
        assert.equal(segmentOf(Uint8Array.from(k), segments), s);
      }
    }),
  );
});

test("a segment count that is not a power of two in 64..65536 is refused", () => {
  for (const segments of [0, 32, 63, 100, 1000, 131072, 1.5, Number.NaN]) {
    assert.throws(() => new TicTacTree({ segments }), /power of two in 64\.\.65536/);
    assert.throws(() => segmentOf(key("a"), segments), /power of two in 64\.\.65536/);
  }
});

test("an update with a digest that is not 16 bytes, an empty key or a delete from an empty tree is refused", () => {
  const tree = new TicTacTree(defaultTreeOptions);
  assert.throws(() => tree.update(key("a"), undefined, new Uint8Array(8)), /after digest/);
  assert.throws(() => tree.update(key("a"), new Uint8Array(17), undefined), /before digest/);
  assert.throws(() => tree.update(new Uint8Array(0), undefined, digest(1)), /non-empty/);
  assert.throws(() => tree.update(key("a"), digest(1), undefined), /holds no keys/);
  // Refused updates left nothing behind.
  assert.deepEqual(snapshot(tree), snapshot(new TicTacTree(defaultTreeOptions)));
});
