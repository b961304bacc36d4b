import assert from "node:assert/strict";
import { test } from "node:test";
import { bucketOf, LATENCY_BOUNDS_MS, quantileMs, RateWindow } from "../../../src/metrics/rate-window.js";

const OPS = ["get", "put"] as const;
const START_MS = 1_000_000;

test("ops per second are the window's count over the seconds it covers", () => {
  const w = new RateWindow(OPS, { slotMs: 1000, slots: 10 }, START_MS);
  // 30 PUTs spread over the first 3 seconds, 5 GETs in the third.
  for (let i = 0; i < 30; i++) w.record("put", 2, false, START_MS + i * 100);
  for (let i = 0; i < 5; i++) w.record("get", 1, false, START_MS + 2500 + i);
  const s = w.summary(START_MS + 3000);
  assert.equal(w.spanSeconds(START_MS + 3000), 3);
  assert.equal(s.put.count, 30);
  assert.equal(s.put.opsPerSecond, 10);
  assert.equal(s.get.count, 5);
  assert.ok(Math.abs(s.get.opsPerSecond - 5 / 3) < 1e-9);
});

test("a full window covers slots-1 whole slots plus the part of the current one", () => {
  const w = new RateWindow(OPS, { slotMs: 1000, slots: 10 }, START_MS);
  const now = START_MS + 60_250;
  assert.equal(w.spanSeconds(now), 9.25);
  // Just after start the span is never below one slot, so a first burst is not a huge rate.
  assert.equal(w.spanSeconds(START_MS + 10), 1);
});

test("operations older than the window no longer count", () => {
  const w = new RateWindow(OPS, { slotMs: 1000, slots: 5 }, START_MS);
  for (let i = 0; i < 10; i++) w.record("put", 1, false, START_MS + i);
  assert.equal(w.summary(START_MS + 4000).put.count, 10);
  const later = w.summary(START_MS + 5000);
  assert.equal(later.put.count, 0);
  assert.equal(later.put.opsPerSecond, 0);
  assert.equal(later.put.p50Ms, null);
  assert.equal(later.put.meanMs, null);
  // A slot reused after wrapping around starts from zero.
  w.record("put", 1, false, START_MS + 5000);
  assert.equal(w.summary(START_MS + 5000).put.count, 1);
});

test("errors are counted and rated apart from answers", () => {
  const w = new RateWindow(OPS, { slotMs: 1000, slots: 10 }, START_MS);
  w.record("get", 1, false, START_MS + 10_000);
  w.record("get", 1, true, START_MS + 10_000);
  w.record("get", 1, true, START_MS + 10_000);
  const s = w.summary(START_MS + 10_000);
  assert.equal(s.get.count, 3);
  assert.equal(s.get.errors, 2);
  assert.ok(s.get.errorsPerSecond > 0);
  assert.equal(s.put.errors, 0);
});

test("p50 and p99 of 1..1000 ms land within one bucket of the true quantiles, mean and max exact", () => {
  const w = new RateWindow(OPS, { slotMs: 1000, slots: 10 }, START_MS);
  for (let ms = 1; ms <= 1000; ms++) w.record("get", ms, false, START_MS + 5000 + (ms % 900));
  const s = w.summary(START_MS + 6000).get;
  assert.equal(s.count, 1000);
  assert.equal(s.meanMs, 500.5);
  assert.equal(s.maxMs, 1000);
  // Buckets grow by 2^(1/4) (about 19%): the estimate is within that of the truth.
  assert.ok(s.p50Ms !== null && Math.abs(s.p50Ms - 500) / 500 < 0.19, `p50 ${s.p50Ms}`);
  assert.ok(s.p99Ms !== null && Math.abs(s.p99Ms - 990) / 990 < 0.19, `p99 ${s.p99Ms}`);
  assert.ok(s.p99Ms <= 1000);
});

test("one slow request among fast ones shows in p99 and max, not in p50", () => {
  const w = new RateWindow(OPS, { slotMs: 1000, slots: 10 }, START_MS);
  for (let i = 0; i < 99; i++) w.record("put", 0.5, false, START_MS + 100);
  w.record("put", 800, false, START_MS + 100);
  const s = w.summary(START_MS + 200).put;
  assert.ok(s.p50Ms !== null && s.p50Ms < 0.6, `p50 ${s.p50Ms}`);
  assert.equal(s.maxMs, 800);
  assert.ok(s.p99Ms !== null && s.p99Ms < 1, `p99 of 100 samples with one outlier is a fast one: ${s.p99Ms}`);
  for (let i = 0; i < 2; i++) w.record("put", 800, false, START_MS + 100);
  const t = w.summary(START_MS + 200).put;
  assert.ok(t.p99Ms !== null && t.p99Ms > 600, `p99 with 3% slow requests: ${t.p99Ms}`);
});

test("an unknown operation and bad options are refused", () => {
  assert.throws(() => new RateWindow(OPS, { slotMs: 1000, slots: 0 }, 0), RangeError);
  assert.throws(() => new RateWindow(OPS, { slotMs: 0, slots: 3 }, 0), RangeError);
  const w = new RateWindow<string>(["get"], { slotMs: 1000, slots: 3 }, 0);
  assert.throws(() => w.record("put", 1, false, 0), RangeError);
});

test("bucketOf finds the first bound holding a value; past the last bound is the overflow bucket", () => {
  assert.equal(bucketOf(0), 0);
  assert.equal(bucketOf(LATENCY_BOUNDS_MS[0] as number), 0);
  assert.equal(bucketOf((LATENCY_BOUNDS_MS[0] as number) * 1.01), 1);
  assert.equal(bucketOf(LATENCY_BOUNDS_MS[10] as number), 10);
  assert.equal(bucketOf(1e9), LATENCY_BOUNDS_MS.length);
  assert.ok((LATENCY_BOUNDS_MS.at(-1) as number) >= 60_000);
});

test("quantileMs is null on no data and never above the largest value seen", () => {
  const empty = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
  assert.equal(quantileMs(empty, 0.5, 0), null);
  const one = [...empty];
  one[bucketOf(5)] = 1;
  const q = quantileMs(one, 0.99, 5);
  assert.ok(q !== null && q <= 5 && q > 4);
  assert.throws(() => quantileMs(one, 1.5, 5), RangeError);
});
