import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HotspotGenerator } from "../../../src/bench/distributions/hotspot.js";
import { InsertSequence } from "../../../src/bench/distributions/insert-sequence.js";
import type { NumberGenerator } from "../../../src/bench/distributions/number-generator.js";
import { ScrambledZipfianGenerator } from "../../../src/bench/distributions/scrambled-zipfian.js";
import { SkewedLatestGenerator } from "../../../src/bench/distributions/skewed-latest.js";
import { UniformGenerator } from "../../../src/bench/distributions/uniform.js";
import { ZipfianGenerator, zeta } from "../../../src/bench/distributions/zipfian.js";
import { fnvHash64 } from "../../../src/bench/fnv-hash.js";
import { SeededRandom } from "../../../src/random/seeded-random.js";

function counts(generator: NumberGenerator, draws: number): Map<number, number> {
  const seen = new Map<number, number>();
  for (let i = 0; i < draws; i++) {
    const v = generator.next();
    seen.set(v, (seen.get(v) ?? 0) + 1);
  }
  return seen;
}

function sample(generator: NumberGenerator, draws: number): number[] {
  return Array.from({ length: draws }, () => generator.next());
}

describe("seeded random", () => {
  test("the same seed gives the same sequence, another seed another one", () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const c = new SeededRandom(43);
    const sa = Array.from({ length: 100 }, () => a.uint32());
    assert.deepEqual(
      sa,
      Array.from({ length: 100 }, () => b.uint32()),
    );
    assert.notDeepEqual(
      sa,
      Array.from({ length: 100 }, () => c.uint32()),
    );
  });

  test("float() stays in [0, 1) and averages about one half", () => {
    const r = new SeededRandom(7);
    let sum = 0;
    for (let i = 0; i < 100_000; i++) {
      const f = r.float();
      assert.ok(f >= 0 && f < 1);
      sum += f;
    }
    assert.ok(Math.abs(sum / 100_000 - 0.5) < 0.01, `mean ${sum / 100_000}`);
  });
});

describe("zipfian (YCSB's, constant 0.99)", () => {
  test("ranks 0 and 1 have exactly the zipfian probability; the rest follow its CDF closely", () => {
    const n = 1000;
    const draws = 400_000;
    const seen = counts(new ZipfianGenerator(new SeededRandom(1), 0, n - 1), draws);
    assert.ok([...seen.keys()].every((v) => v >= 0 && v < n));
    const zn = zeta(0, n, 0.99);
    const exact = (rank: number): number => 1 / (rank + 1) ** 0.99 / zn;
    const observed = (rank: number): number => (seen.get(rank) ?? 0) / draws;
    // Gray et al.'s method draws ranks 0 and 1 exactly and approximates the rest.
    for (const rank of [0, 1])
      assert.ok(
        Math.abs(observed(rank) - exact(rank)) <= exact(rank) * 0.03,
        `rank ${rank}: ${observed(rank)}`,
      );
    for (const k of [9, 99, 499]) {
      let cdfObserved = 0;
      let cdfExact = 0;
      for (let rank = 0; rank <= k; rank++) {
        cdfObserved += observed(rank);
        cdfExact += exact(rank);
      }
      assert.ok(Math.abs(cdfObserved - cdfExact) < 0.03, `P(rank <= ${k}): ${cdfObserved} vs ${cdfExact}`);
    }
    assert.ok(observed(0) > observed(1) && observed(1) > observed(9) && observed(9) > observed(99));
  });

  test("scrambled zipfian: a few records are hot, scattered over the range, all within it", () => {
    const records = 10_000;
    const draws = 200_000;
    const seen = counts(new ScrambledZipfianGenerator(new SeededRandom(3), 0, records - 1), draws);
    assert.ok([...seen.keys()].every((v) => Number.isInteger(v) && v >= 0 && v < records));
    const sorted = [...seen.entries()].sort((a, b) => b[1] - a[1]);
    // The most popular rank has probability 1/zeta(10^16, 0.99) = 1/26.47, about 3.8%.
    const top = sorted[0]![1] / draws;
    assert.ok(top > 0.033 && top < 0.05, `hottest record drew ${top}`);
    // Skew: the hottest 1% of records take over ten times their share. YCSB draws ranks over
    // 10^16 items, so the skew over the records is milder than a zipfian over the records alone
    // (the top 100 ranks hold about 19% of the mass).
    const hot = sorted.slice(0, records / 100).reduce((s, [, c]) => s + c, 0) / draws;
    assert.ok(hot > 0.1 && hot < 0.3, `hottest 1% took ${hot}`);
    // Scattered: the ten hottest records are not the ten lowest numbers.
    const topTen = sorted.slice(0, 10).map(([v]) => v);
    assert.ok(Math.max(...topTen) > 100, `hot records ${topTen}`);
  });

  test("the same seed draws the same keys", () => {
    const a = sample(new ScrambledZipfianGenerator(new SeededRandom(9), 0, 999), 1000);
    const b = sample(new ScrambledZipfianGenerator(new SeededRandom(9), 0, 999), 1000);
    assert.deepEqual(a, b);
  });
});

describe("hotspot (80% of operations on 20% of records)", () => {
  test("the lowest 20% of records take 80% of the draws, within 1%", () => {
    const records = 5000;
    const draws = 200_000;
    const values = sample(new HotspotGenerator(new SeededRandom(5), 0, records - 1), draws);
    const hot = values.filter((v) => v < records * 0.2).length / draws;
    assert.ok(Math.abs(hot - 0.8) < 0.01, `hot fraction ${hot}`);
    assert.ok(values.every((v) => v >= 0 && v < records));
    // Within the cold set, records are uniform: both halves of it get about the same share.
    const cold = values.filter((v) => v >= records * 0.2);
    const lowerHalf = cold.filter((v) => v < records * 0.6).length / cold.length;
    assert.ok(Math.abs(lowerHalf - 0.5) < 0.02, `cold lower half ${lowerHalf}`);
  });
});

describe("uniform", () => {
  test("covers the whole range evenly", () => {
    const seen = counts(new UniformGenerator(new SeededRandom(11), 10, 109), 100_000);
    assert.equal(seen.size, 100);
    for (const [v, c] of seen) {
      assert.ok(v >= 10 && v <= 109);
      assert.ok(c > 800 && c < 1200, `value ${v} drawn ${c} times`);
    }
  });
});

describe("latest (zipfian over recency)", () => {
  test("favours the newest records and follows acknowledged inserts", () => {
    const inserts = new InsertSequence(1000);
    const latest = new SkewedLatestGenerator(new SeededRandom(13), inserts);
    const before = sample(latest, 50_000);
    assert.ok(before.every((v) => v >= 0 && v <= 999));
    const newest = before.filter((v) => v === 999).length / before.length;
    const newestTen = before.filter((v) => v >= 990).length / before.length;
    assert.ok(newest > 0.1, `newest record drew ${newest}`);
    assert.ok(newestTen > 0.3, `newest ten drew ${newestTen}`);
    // Ten more records inserted: the newest of them becomes the hottest.
    for (let i = 0; i < 10; i++) inserts.acknowledge(inserts.next());
    const after = counts(latest, 50_000);
    const hottest = [...after.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    assert.equal(hottest, 1009);
    assert.ok([...after.keys()].every((v) => v <= 1009));
  });

  test("an insert still in flight is never offered to reads", () => {
    const inserts = new InsertSequence(10);
    const first = inserts.next(); // 10
    const second = inserts.next(); // 11
    inserts.acknowledge(second);
    assert.equal(inserts.lastAcknowledged, 9, "11 done but 10 still in flight");
    inserts.acknowledge(first);
    assert.equal(inserts.lastAcknowledged, 11);
  });
});

describe("YCSB's FNV hash", () => {
  test("is deterministic, non-negative, below 2^63 and spreads consecutive numbers", () => {
    const hashes = Array.from({ length: 1000 }, (_, i) => fnvHash64(i));
    assert.deepEqual(
      hashes,
      Array.from({ length: 1000 }, (_, i) => fnvHash64(i)),
    );
    assert.ok(hashes.every((h) => h >= 0n && h < 2n ** 63n));
    assert.equal(new Set(hashes).size, 1000);
    // Consecutive inputs land in different hundredths of the range most of the time.
    const buckets = new Set(hashes.map((h) => Number((h * 100n) / 2n ** 63n)));
    assert.ok(buckets.size > 90, `${buckets.size} buckets`);
  });
});
