import assert from "node:assert/strict";
import { test } from "node:test";
import { TombstoneReaper } from "../../../src/cluster/tombstone-reaper.js";
import { LocalReplica } from "../../../src/coordinator/local-replica.js";
import type { ReplicaAccess } from "../../../src/coordinator/replica-access.js";
import { emptyDvvSet, update } from "../../../src/core/causality/index.js";
import { conflictResolution } from "../../../src/core/conflict-mode.js";
import { ringView } from "../../../src/core/ring/ring-view.js";
import { type Sibling, tombstone } from "../../../src/core/stored-object.js";
import { silentLogger } from "../../../src/log/logger.js";
import { NodeMetrics } from "../../../src/metrics/node-metrics.js";
import { MemoryEngine } from "../../../src/storage/memory-engine.js";
import { ManualClock } from "../../net/fake-clocks.js";

const noRemoteReplicas: ReplicaAccess = {
  read: () => Promise.reject(new Error("a one-replica ring has no one else to ask")),
  replicate: () => Promise.reject(new Error("unused")),
  hint: () => Promise.reject(new Error("unused")),
  forwardPut: () => Promise.reject(new Error("unused")),
};

test("the reaper looks at every key: 250 old tombstones are gone after exactly 3 rounds of 100 keys", async () => {
  const storage = new MemoryEngine();
  const clock = new ManualClock();
  const conflicts = conflictResolution("causal", () => clock.nowMs());
  const metrics = new NodeMetrics("n1", () => storage.stats(), { processMetrics: false });
  const replica = new LocalReplica(
    storage,
    { actor: "n1@a", siblingsMax: 100, siblingsWarn: 50, objectBytesMax: 8 * 1024 * 1024, conflicts },
    silentLogger(),
    metrics,
  );
  const keys = Array.from({ length: 250 }, (_, i) =>
    new TextEncoder().encode(`k${String(i).padStart(3, "0")}`),
  );
  for (const key of keys)
    await replica.merge(0, key, update(emptyDvvSet<Sibling>(), [], "n1@a", tombstone(0)));
  let reaped = 0;
  const reaper = new TombstoneReaper(
    {
      selfId: "n1",
      storage,
      replica,
      access: noRemoteReplicas,
      view: {
        state: () => ({ members: [], ring: null }),
        member: () => undefined,
        status: () => "up",
        downForMs: () => 0,
        addressOf: () => undefined,
        ring: () => ringView(["n1"], 1, 1),
      },
      clock,
      logger: silentLogger(),
      onReaped: (count) => {
        reaped += count;
      },
    },
    { graceMs: 1000, intervalMs: 100, idleIntervalMaxMs: 2000, keysPerRoundMax: 100, requestTimeoutMs: 1000 },
  );
  await clock.advance(2000 - 300); // past the grace period, just before the first round is due
  reaper.start();
  for (let round = 1; round <= 3; round++) await clock.advance(100);
  reaper.stop();
  assert.equal(reaped, 250, "a round that stops at its limit must resume at the key it did not look at");
  assert.equal(storage.stats().stores.objects.entries, 0);
});

test("a reaper backed off over live keys reacts to a delete within its fast interval", async () => {
  const storage = new MemoryEngine();
  const clock = new ManualClock();
  const conflicts = conflictResolution("causal", () => clock.nowMs());
  const metrics = new NodeMetrics("n1", () => storage.stats(), { processMetrics: false });
  const replica = new LocalReplica(
    storage,
    { actor: "n1@a", siblingsMax: 100, siblingsWarn: 50, objectBytesMax: 8 * 1024 * 1024, conflicts },
    silentLogger(),
    metrics,
  );
  const live = (text: string): Sibling => ({
    value: new TextEncoder().encode(text),
    contentType: "text/plain",
    deleted: false,
    writtenAtMs: 0,
  });
  for (let i = 0; i < 10; i++)
    await replica.merge(
      0,
      new TextEncoder().encode(`live${i}`),
      update(emptyDvvSet<Sibling>(), [], "n1@a", live("v")),
    );
  let reaped = 0;
  const reaper = new TombstoneReaper(
    {
      selfId: "n1",
      storage,
      replica,
      access: noRemoteReplicas,
      view: {
        state: () => ({ members: [], ring: null }),
        member: () => undefined,
        status: () => "up",
        downForMs: () => 0,
        addressOf: () => undefined,
        ring: () => ringView(["n1"], 1, 1),
      },
      clock,
      logger: silentLogger(),
      onReaped: (count) => {
        reaped += count;
      },
    },
    { graceMs: 0, intervalMs: 100, idleIntervalMaxMs: 2000, keysPerRoundMax: 100, requestTimeoutMs: 1000 },
  );
  reaper.start();
  await clock.advance(10_000);
  assert.equal(reaper.currentDelayMs, 2000, "rounds over live keys only back off to the idle maximum");
  await replica.merge(
    0,
    new TextEncoder().encode("gone"),
    update(emptyDvvSet<Sibling>(), [], "n1@a", tombstone(clock.nowMs())),
  );
  assert.equal(reaper.currentDelayMs, 100, "the delete brought the fast pace back");
  await clock.advance(150);
  reaper.stop();
  assert.equal(reaped, 1, "the tombstone was reaped within the fast interval, not after the 2 s backoff");
  assert.equal(storage.stats().stores.objects.entries, 10);
});
