import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  differingBranches,
  differingSegments,
  MerkleMessageError,
  segmentOf,
  TicTacTree,
} from "../../../src/core/merkle/index.js";
import {
  allBranchIds,
  branchCountOf,
  type DigestMap,
  digestArb,
  hex,
  keyPoolArb,
  segmentsArb,
  treeOf,
} from "./tree-fixtures.js";

/** How a key that differs between two replicas differs. */
const changeArb = fc.constantFrom("only-in-a", "only-in-b", "other-digest", "same");

const pairArb = segmentsArb.chain((segments) =>
  keyPoolArb.chain((pool) =>
    fc.tuple(
      fc.constant(segments),
      fc.constant(pool),
      fc.array(fc.tuple(digestArb, digestArb, changeArb), { minLength: pool.length, maxLength: pool.length }),
    ),
  ),
);

test("comparing branches, then the leaves of differing branches, finds exactly the segments of the differing keys", () => {
  fc.assert(
    fc.property(pairArb, ([segments, pool, plans]) => {
      const a: DigestMap = new Map();
      const b: DigestMap = new Map();
      const expected = new Set<number>();
      pool.forEach((k, i) => {
        const [d1, d2, change] = plans[i] as [Uint8Array, Uint8Array, string];
        if (change !== "only-in-b") a.set(hex(k), [k, d1]);
        if (change === "only-in-b" || change === "same") b.set(hex(k), [k, d1]);
        if (change === "other-digest") b.set(hex(k), [k, hex(d1) === hex(d2) ? d2.map((x) => x ^ 1) : d2]);
        if (change !== "same") expected.add(segmentOf(k, segments));
      });
      const treeA = treeOf(a, segments);
      const treeB = treeOf(b, segments);

      const branchIds = differingBranches(treeA.branches(), treeB.branches());
      const leavesPerBranch = segments / branchCountOf(treeA);
      assert.deepEqual(
        branchIds,
        [...new Set([...expected].map((s) => Math.floor(s / leavesPerBranch)))].sort((x, y) => x - y),
      );
      const found = differingSegments(branchIds, treeA.leaves(branchIds), treeB.leaves(branchIds));
      assert.deepEqual(
        found,
        [...expected].sort((x, y) => x - y),
      );
      assert.equal(hex(treeA.root()) === hex(treeB.root()), expected.size === 0);
    }),
    { numRuns: 200 },
  );
});

test("differingSegments over all branches agrees with comparing the leaves one by one", () => {
  const a = new TicTacTree({ segments: 256 });
  const b = new TicTacTree({ segments: 256 });
  const enc = new TextEncoder();
  for (let i = 0; i < 300; i++) {
    a.update(enc.encode(`k${i}`), undefined, new Uint8Array(16).fill(i % 7));
    if (i % 50 !== 0) b.update(enc.encode(`k${i}`), undefined, new Uint8Array(16).fill(i % 7));
  }
  const ids = allBranchIds(a);
  const expected = [0, 50, 100, 150, 200, 250]
    .map((i) => segmentOf(enc.encode(`k${i}`), 256))
    .sort((x, y) => x - y);
  assert.deepEqual(differingSegments(ids, a.leaves(ids), b.leaves(ids)), [...new Set(expected)]);
  assert.deepEqual(differingSegments([], a.leaves([]), b.leaves([])), []);
});

test("two keys of one segment that swap digests, or hold one digest under different keys, still differ", () => {
  const enc = new TextEncoder();
  const k1 = enc.encode("k0");
  const segment = segmentOf(k1, 64);
  let i = 1;
  while (segmentOf(enc.encode(`k${i}`), 64) !== segment) i++;
  const k2 = enc.encode(`k${i}`);
  const d1 = new Uint8Array(16).fill(1);
  const d2 = new Uint8Array(16).fill(2);
  const tree = (entries: [Uint8Array, Uint8Array][]): TicTacTree => {
    const t = new TicTacTree({ segments: 64 });
    for (const [k, d] of entries) t.update(k, undefined, d);
    return t;
  };
  const pairs: [TicTacTree, TicTacTree][] = [
    [
      tree([
        [k1, d1],
        [k2, d2],
      ]),
      tree([
        [k1, d2],
        [k2, d1],
      ]),
    ],
    [tree([[k1, d1]]), tree([[k2, d1]])],
  ];
  for (const [a, b] of pairs) {
    const ids = differingBranches(a.branches(), b.branches());
    assert.deepEqual(differingSegments(ids, a.leaves(ids), b.leaves(ids)), [segment]);
  }
});

test("a difference in any single byte of a branch or leaf hash is found", () => {
  const tree = new TicTacTree({ segments: 64 });
  tree.update(new Uint8Array([9]), undefined, new Uint8Array(16).fill(9));
  const branches = tree.branches();
  const ids = allBranchIds(tree);
  const leaves = tree.leaves(ids);
  for (let byte = 1; byte < branches.length; byte++) {
    const forged = Uint8Array.from(branches);
    forged[byte] = (forged[byte] as number) ^ 0x80;
    assert.deepEqual(differingBranches(branches, forged), [Math.floor((byte - 1) / 8)]);
  }
  for (let byte = 1; byte < leaves.length; byte++) {
    const forged = Uint8Array.from(leaves);
    forged[byte] = (forged[byte] as number) ^ 0x01;
    assert.deepEqual(differingSegments(ids, leaves, forged), [Math.floor((byte - 1) / 8)]);
  }
});

const tree1024 = (): TicTacTree => {
  const tree = new TicTacTree({ segments: 1024 });
  tree.update(new Uint8Array([1]), undefined, new Uint8Array(16));
  return tree;
};

const refused = (fn: () => unknown, message: RegExp): void => {
  assert.throws(fn, (error: unknown) => error instanceof MerkleMessageError && message.test(error.message));
};

test("a branch summary of the wrong length, size or header from a peer is refused", () => {
  const ours = tree1024().branches();
  refused(
    () => differingBranches(ours, ours.subarray(0, ours.length - 1)),
    /branch summary b is 256 bytes, expected 257/,
  );
  refused(() => differingBranches(new Uint8Array([...ours, 0]), ours), /branch summary a is 258 bytes/);
  refused(() => differingBranches(ours, new Uint8Array(0)), /branch summary b is empty/);
  refused(
    () => differingBranches(ours, new TicTacTree({ segments: 2048 }).branches()),
    /trees of 1024 and 2048 segments/,
  );
  for (const header of [0, 5, 17, 31, 255]) {
    const forged = Uint8Array.from(ours);
    forged[0] = header;
    refused(() => differingBranches(forged, ours), new RegExp(`claims 2\\^${header} segments`));
  }
});

test("leaves of the wrong length or size, and bad branch ids, are refused", () => {
  const tree = tree1024();
  const two = tree.leaves([1, 2]);
  refused(() => differingSegments([1, 2], two, tree.leaves([1])), /leaf list b is 257 bytes, expected 513/);
  refused(() => differingSegments([1], two, two), /leaf list a is 513 bytes, expected 257/);
  refused(
    () => differingSegments([1], tree.leaves([1]), new TicTacTree({ segments: 4096 }).leaves([1])),
    /1024 and 4096 segments/,
  );
  for (const ids of [[2, 1], [1, 1], [-1], [32], [0.5], [Number.NaN]]) {
    refused(() => differingSegments(ids, two, two), /strictly increasing integers in 0\.\.31/);
    refused(() => tree.leaves(ids), /strictly increasing integers in 0\.\.31/);
  }
});
