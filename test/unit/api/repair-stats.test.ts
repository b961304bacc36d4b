import assert from "node:assert/strict";
import { test } from "node:test";
import { localNodeStats, parseNodeStats } from "../../../src/api/node-stats.js";
import { REPAIR_TARGETS_MAX } from "../../../src/api/repair-stats.js";
import { NodeMetrics } from "../../../src/metrics/node-metrics.js";
import { MemoryEngine } from "../../../src/storage/memory-engine.js";

const MINUTE_MS = 60_000;

function metricsAt(clock: { nowMs: number }): NodeMetrics {
  const storage = new MemoryEngine();
  return new NodeMetrics("n1", () => storage.stats(), { processMetrics: false, nowMs: () => clock.nowMs });
}

test("/stats' repair field counts hints per target and repair work over the last hour and 24 hours", async () => {
  const clock = { nowMs: 10_000 * MINUTE_MS };
  const metrics = metricsAt(clock);
  metrics.hintsPending = () => new Map([["n3", 4]]);
  metrics.aaeFullPassAgeSeconds = () => 42;
  for (let i = 0; i < 6; i++) metrics.hintStored("n3");
  metrics.hintRefused("n4");
  clock.nowMs += 3 * 60 * MINUTE_MS;
  metrics.hintsDeliveredTo("n3", 2);
  metrics.hintsExpiredFor("n3", 1);
  metrics.aaeExchanged(0);
  metrics.aaeExchanged(7);
  metrics.readRepaired();
  clock.nowMs += 10 * MINUTE_MS;
  const stats = await localNodeStats("n1", metrics);
  const { repair } = stats;
  assert.equal(repair.lastDay.spanSeconds, 190 * 60, "the node is 190 minutes old");
  assert.ok(
    repair.lastHour.spanSeconds >= 3600 && repair.lastHour.spanSeconds <= 3900,
    String(repair.lastHour.spanSeconds),
  );
  assert.deepEqual(repair.lastDay.hints, { stored: 6, delivered: 2, expired: 1, refused: 1 });
  assert.deepEqual(repair.lastHour.hints, { stored: 0, delivered: 2, expired: 1, refused: 0 });
  assert.deepEqual(
    [repair.lastDay.aaeExchanges, repair.lastDay.aaeKeysRepaired, repair.lastDay.readRepairs],
    [2, 7, 1],
  );
  assert.equal(repair.aaeFullPassAgeSeconds, 42);
  assert.deepEqual(repair.targets, [
    {
      target: "n3",
      pending: 4,
      lastHour: { stored: 0, delivered: 2, expired: 1, refused: 0 },
      lastDay: { stored: 6, delivered: 2, expired: 1, refused: 0 },
    },
    {
      target: "n4",
      pending: 0,
      lastHour: { stored: 0, delivered: 0, expired: 0, refused: 0 },
      lastDay: { stored: 0, delivered: 0, expired: 0, refused: 1 },
    },
  ]);
  // The totals since start agree, and the Prometheus counters carry the target.
  assert.deepEqual([stats.hints.stored, stats.hints.delivered, stats.hints.refused], [6, 2, 1]);
  const text = await metrics.registry.metrics();
  assert.match(text, /ringkv_hints_stored_total\{target="n3",node="n1"\} 6/);
  assert.match(text, /ringkv_hints_expired_total\{target="n3",node="n1"\} 1/);
  assert.match(text, /ringkv_aae_full_pass_age_seconds\{node="n1"\} 42/);
  // What one node reports, another accepts: the field survives JSON and the checks.
  assert.deepEqual(parseNodeStats(JSON.parse(JSON.stringify(stats))).repair, repair);

  // A day later everything has left the window; pending hints are still listed.
  clock.nowMs += 25 * 60 * MINUTE_MS;
  const later = (await localNodeStats("n1", metrics)).repair;
  assert.deepEqual(later.lastDay.hints, { stored: 0, delivered: 0, expired: 0, refused: 0 });
  assert.equal(later.lastDay.aaeKeysRepaired, 0);
  assert.deepEqual(
    later.targets.map((t) => [t.target, t.pending]),
    [["n3", 4]],
  );
});

test("the repair field lists at most REPAIR_TARGETS_MAX targets, busiest first, and counts the rest", async () => {
  const clock = { nowMs: 0 };
  const metrics = metricsAt(clock);
  const pending = new Map<string, number>();
  for (let i = 0; i < REPAIR_TARGETS_MAX + 8; i++) pending.set(`t${String(i).padStart(3, "0")}`, i + 1);
  metrics.hintsPending = () => pending;
  const { repair } = await localNodeStats("n1", metrics);
  assert.equal(repair.targets.length, REPAIR_TARGETS_MAX);
  assert.equal(repair.targetsOmitted, 8);
  assert.equal(repair.targets[0]?.target, `t${String(REPAIR_TARGETS_MAX + 7).padStart(3, "0")}`);
  assert.equal(repair.aaeFullPassAgeSeconds, null, "no anti-entropy yet: never");
  assert.ok(JSON.stringify(repair).length < 16 * 1024, "well inside the /stats body bound");
});
