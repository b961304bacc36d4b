import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { LatencyHistogram } from "../../../src/bench/latency-histogram.js";
import { SeededRandom } from "../../../src/random/seeded-random.js";

/**
 * The oracle: the nearest-rank percentile of the exact values. The rank is rounded to 1e-9 before
 * the ceiling, because 99.9 / 100 * 50000 is 49950.00000000001 in floating point: a plain ceiling
 * would take rank 49951, and where the tail's values are far apart, a value 0.5% too high.
 */
function nearestRank(sorted: number[], percentile: number): number {
  const exact = Math.round((percentile / 100) * sorted.length * 1e9) / 1e9;
  const rank = Math.max(1, Math.ceil(exact));
  return sorted[rank - 1]!;
}

describe("latency histogram", () => {
  test("percentiles match a sorted array of the same values within 0.1%", () => {
    const random = new SeededRandom(17);
    const values: number[] = [];
    const histogram = new LatencyHistogram();
    // Log-normal-ish latencies from 50 us to a few seconds, with a tail, like a real run.
    for (let i = 0; i < 50_000; i++) {
      const micros = Math.round(50 * Math.exp(random.float() * 6 + (random.float() < 0.01 ? 4 : 0)));
      values.push(micros);
      histogram.recordMicros(micros);
    }
    values.sort((a, b) => a - b);
    for (const p of [1, 25, 50, 90, 95, 99, 99.9, 99.99, 100]) {
      const expected = nearestRank(values, p);
      const got = histogram.percentileMicros(p);
      assert.ok(
        Math.abs(got - expected) <= expected * 0.001 + 1,
        `p${p}: histogram ${got}, exact ${expected}`,
      );
    }
    const s = histogram.summary();
    assert.equal(s.count, values.length);
    assert.ok(
      Math.abs(s.maxMs * 1000 - values[values.length - 1]!) <= values[values.length - 1]! * 0.001 + 1,
    );
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    assert.ok(Math.abs(s.meanMs * 1000 - mean) <= mean * 0.001 + 1, `mean ${s.meanMs} ms vs ${mean} us`);
  });

  test("an empty histogram summarizes to zeros; sub-microsecond values count as 1 us", () => {
    const h = new LatencyHistogram();
    assert.deepEqual(h.summary(), { count: 0, meanMs: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0 });
    h.recordMicros(0.2);
    assert.equal(h.percentileMicros(100), 1);
  });

  test("adding histograms merges their counts", () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (let i = 1; i <= 100; i++) a.recordMicros(i);
    for (let i = 1001; i <= 1100; i++) b.recordMicros(i);
    a.add(b);
    assert.equal(a.count, 200);
    assert.equal(a.percentileMicros(50), 100);
    assert.ok(Math.abs(a.percentileMicros(100) - 1100) <= 1);
  });
});
