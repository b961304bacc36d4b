import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { staleCopies } from "../../../src/cluster/reclaim-decision.js";
import { gainingNodes, homeOf, partitionGains, partitionsGained } from "../../../src/core/ring/index.js";
import { isReplicaOf } from "../../../src/core/ring/ownership.js";
import { ringView } from "../../../src/core/ring/ring-view.js";

// Eight partitions over five nodes, N=3; `next` hands partition 0's first place to f.
const OWNERS = ["a", "b", "c", "d", "e", "a", "b", "c"];
const NEXT = ["f", "b", "c", "d", "e", "a", "b", "c"];

describe("home replicas of a key with its own n", () => {
  const ring = ringView(OWNERS, 3, 7, NEXT);
  test("the first n of the preference list, above and below N", () => {
    assert.deepEqual(ring.home(0), ["a", "b", "c"]);
    assert.deepEqual(ring.home(0, 1), ["a"]);
    assert.deepEqual(ring.home(0, 5), ["a", "b", "c", "d", "e"]);
    assert.deepEqual(ring.home(0, 9), ["a", "b", "c", "d", "e"], "no more than the distinct nodes");
    assert.throws(() => ring.home(0, 0), RangeError);
  });
  test("incoming replicas per n", () => {
    assert.deepEqual(ring.incoming(0), ["f"]);
    assert.deepEqual(ring.incoming(0, 1), ["f"]);
    // Under next, partition 0's first 5 are f b c d e: f comes in, a drops out of them.
    assert.deepEqual(ring.incoming(0, 5), ["f"]);
    assert.deepEqual(ring.incoming(1, 3), [], "partition 1's first 3 do not change");
  });
  test("fencing follows n: d is a replica of an n=5 key of partition 0, not of an n=3 one", () => {
    assert.equal(isReplicaOf(ring, "d", 0), false);
    assert.equal(isReplicaOf(ring, "d", 0, 5), true);
    assert.equal(isReplicaOf(ring, "b", 0, 1), false, "b is second: no replica of an n=1 key");
    assert.equal(isReplicaOf(ring, "f", 0, 1), true, "f receives partition 0 under next");
  });
});

describe("what a node gains per replica count", () => {
  test("with one count, partitionGains is partitionsGained", () => {
    for (const id of ["a", "b", "f"]) {
      const gains = partitionGains(OWNERS, NEXT, [3], id).map((g) => g.partition);
      assert.deepEqual(gains, partitionsGained(OWNERS, NEXT, 3, id), id);
    }
  });
  test("a node moving up from position 4 to 3 gains the N keys only, not those of n=5 it holds", () => {
    // Partition 5's preference list goes from a b c d e to d b c a e: d enters the first 1
    // and the first 3, but was among the first 5 already.
    const owners = ["a", "b", "c", "d", "e", "a", "b", "c"];
    const next = ["a", "b", "c", "d", "e", "d", "b", "c"];
    const gains = partitionGains(owners, next, [1, 3, 5], "d").find((g) => g.partition === 5);
    assert.ok(gains !== undefined);
    assert.deepEqual(gains.counts, [1, 3], "d was among the first 5 already");
    assert.deepEqual(gains.holders, homeOf(owners, 5, 3));
    // a leaves the first 1 and the first 3 (b and c stay): its copy must be read.
    assert.deepEqual(gains.losing, ["a"]);
  });
  test("a ring change waits for the gainers of every count", () => {
    const owners = ["a", "b", "c", "d", "e", "a", "b", "c"];
    const next = ["a", "b", "c", "d", "e", "d", "b", "c"];
    const onlyN = gainingNodes(owners, next, 3);
    const all = gainingNodes(owners, next, [1, 3, 5]);
    for (const id of onlyN) assert.ok(all.has(id));
    assert.ok(all.size >= onlyN.size);
    // d enters the first 1 of partition 5 (a b c d e -> d b c a e): a gainer of the n=1 keys.
    assert.ok(gainingNodes(owners, next, [1]).has("d"));
  });
});

describe("stale copies per replica count", () => {
  test("a node keeps the counts whose first n it is among, drops the others", () => {
    const held = [0, 1, 2, 3, 4, 5, 6, 7];
    const copies = staleCopies({ owners: OWNERS, next: null }, [1, 3, 5], "c", held);
    for (const p of held) {
      const expected = [1, 3, 5].filter((n) => !homeOf(OWNERS, p, n).includes("c"));
      const copy = copies.find((c) => c.partition === p);
      assert.deepEqual(copy?.counts ?? [], expected, `partition ${p}`);
      if (copy !== undefined) assert.equal(copy.whole, expected.length === 3);
    }
    assert.ok(
      copies.some((c) => !c.whole),
      "the case has partitions kept in part",
    );
  });
  test("nothing is stale while a change is pending or before a ring", () => {
    assert.deepEqual(staleCopies({ owners: OWNERS, next: NEXT }, [1, 3], "c", [0, 1]), []);
    assert.deepEqual(staleCopies(null, [1, 3], "c", [0, 1]), []);
  });
});
