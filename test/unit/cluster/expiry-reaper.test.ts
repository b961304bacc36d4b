import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { TombstoneReaper } from "../../../src/cluster/tombstone-reaper.js";
import { LocalReplica } from "../../../src/coordinator/local-replica.js";
import type { ReplicaAccess } from "../../../src/coordinator/replica-access.js";
import { emptyDvvSet, join, sync, update } from "../../../src/core/causality/index.js";
import { conflictResolution } from "../../../src/core/conflict-mode.js";
import { expiredAsTombstones } from "../../../src/core/expiry.js";
import { ringView } from "../../../src/core/ring/ring-view.js";
import { liveSiblings, type Sibling, type StoredObject } from "../../../src/core/stored-object.js";
import { silentLogger } from "../../../src/log/logger.js";
import { NodeMetrics } from "../../../src/metrics/node-metrics.js";
import { MemoryEngine } from "../../../src/storage/memory-engine.js";
import { ManualClock } from "../../net/fake-clocks.js";

const IDS = ["n1", "n2", "n3"] as const;
const KEY = new TextEncoder().encode("k");
const GRACE_MS = 1000;

function live(text: string, writtenAtMs: number, expiresAtMs?: number): Sibling {
  const value = new TextEncoder().encode(text);
  return expiresAtMs === undefined
    ? { value, contentType: "text/plain", deleted: false, writtenAtMs }
    : { value, contentType: "text/plain", deleted: false, writtenAtMs, expiresAtMs };
}

function texts(o: StoredObject | undefined, nowMs: number): string[] {
  if (o === undefined) return [];
  return liveSiblings(expiredAsTombstones(o, nowMs))
    .map((s) => new TextDecoder().decode(s.value))
    .sort();
}

// The versions a replica may hold: v1 (never expires), v2 (supersedes v1, expires at 20 ms),
// and optionally v3 (concurrent with v2, never expires).
const v1 = update(emptyDvvSet<Sibling>(), [], "n1@a", live("v1", 0));
const v2 = update(v1, join(v1), "n1@a", live("v2", 10, 20));
const v3 = update(v1, join(v1), "n2@a", live("v3", 11));
const HOLDINGS = { none: undefined, v1, v2, v2v3: sync(v2, v3) } as const;
type Holding = keyof typeof HOLDINGS;

interface Replicas {
  replicas: LocalReplica[];
  clock: ManualClock;
  reaper: TombstoneReaper;
  reaped: () => number;
}

function build(down: ReadonlySet<string>): Replicas {
  const clock = new ManualClock();
  const conflicts = conflictResolution("causal", () => clock.nowMs());
  const storages = IDS.map(() => new MemoryEngine());
  const replicas = IDS.map((id, i) => {
    const storage = storages[i] as MemoryEngine;
    const metrics = new NodeMetrics(id, () => storage.stats(), { processMetrics: false });
    return new LocalReplica(
      storage,
      { actor: `${id}@a`, siblingsMax: 100, siblingsWarn: 50, objectBytesMax: 1024 * 1024, conflicts },
      silentLogger(),
      metrics,
    );
  });
  const access: ReplicaAccess = {
    read: (id, partition, key) => Promise.resolve(replicas[IDS.indexOf(id as "n1")]?.read(partition, key)),
    replicate: () => Promise.reject(new Error("unused")),
    hint: () => Promise.reject(new Error("unused")),
    forwardPut: () => Promise.reject(new Error("unused")),
  };
  let reaped = 0;
  const first = replicas[0] as LocalReplica;
  const reaper = new TombstoneReaper(
    {
      selfId: "n1",
      storage: storages[0] as MemoryEngine,
      replica: first,
      access,
      view: {
        state: () => ({ members: [], ring: null }),
        member: () => undefined,
        status: (id) => (down.has(id) ? "down" : "up"),
        downForMs: () => 0,
        addressOf: () => undefined,
        ring: () => ringView(["n1", "n2", "n3"], 3, 1),
      },
      clock,
      logger: silentLogger(),
      onReaped: (count) => {
        reaped += count;
      },
    },
    {
      graceMs: GRACE_MS,
      intervalMs: 100,
      idleIntervalMaxMs: 2000,
      keysPerRoundMax: 100,
      requestTimeoutMs: 1000,
    },
  );
  return { replicas, clock, reaper, reaped: () => reaped };
}

async function hold(r: Replicas, holdings: readonly Holding[]): Promise<void> {
  for (const [i, h] of holdings.entries()) {
    const o = HOLDINGS[h];
    if (o !== undefined) await r.replicas[i]?.merge(0, KEY, o);
  }
}

test("a key whose only version expired is reaped once the grace passed and every replica holds it", async () => {
  const r = build(new Set());
  await hold(r, ["v2", "v2", "v2"]);
  r.reaper.start();
  await r.clock.advance(GRACE_MS / 2);
  assert.equal(r.reaped(), 0, "not within the grace period");
  assert.ok(r.replicas[0]?.read(0, KEY) !== undefined);
  await r.clock.advance(GRACE_MS);
  r.reaper.stop();
  assert.equal(r.reaped(), 1);
  assert.equal(r.replicas[0]?.read(0, KEY), undefined, "its space is reclaimed");
});

test("a key with an expired version and a live sibling is kept", async () => {
  const r = build(new Set());
  await hold(r, ["v2v3", "v2v3", "v2v3"]);
  r.reaper.start();
  await r.clock.advance(3 * GRACE_MS);
  r.reaper.stop();
  assert.equal(r.reaped(), 0);
  assert.deepEqual(texts(r.replicas[0]?.read(0, KEY), r.clock.nowMs()), ["v3"]);
});

test("reaping expired keys never resurrects: every older copy merged after the reaper ran stays dead", async () => {
  const holding = fc.constantFrom<Holding>("none", "v1", "v2", "v2v3");
  await fc.assert(
    fc.asyncProperty(
      // n1 (the reaping replica) holds a version from v2 on; the others hold anything.
      fc.tuple(fc.constantFrom<Holding>("v2", "v2v3"), holding, holding),
      fc.subarray(["n2", "n3"]),
      fc.array(fc.tuple(fc.nat({ max: 2 }), fc.nat({ max: 2 })), { maxLength: 6 }),
      async (holdings, down, merges) => {
        const r = build(new Set(down));
        await hold(r, holdings);
        r.reaper.start();
        await r.clock.advance(3 * GRACE_MS);
        r.reaper.stop();
        const now = r.clock.nowMs();
        // What every replica held before the reaper ran arrives at n1 afterwards (a late hint,
        // a repair), then random pairwise repairs follow.
        for (const h of holdings) {
          const o = HOLDINGS[h];
          if (o !== undefined) await r.replicas[0]?.merge(0, KEY, o);
        }
        for (const [from, to] of merges) {
          const o = r.replicas[from]?.read(0, KEY);
          if (o !== undefined) await r.replicas[to]?.merge(0, KEY, o);
        }
        const reapedIt = r.reaped() === 1;
        if (reapedIt) {
          // A replica without the key counts as one that already reaped it.
          assert.ok(
            holdings.every((h) => h === "v2" || h === "none"),
            "reaped only when no replica holds another version",
          );
          assert.equal(down.length, 0, "never while a replica is down");
        }
        // What a read of every replica shows (and what full repair leaves everywhere).
        let all: StoredObject | undefined;
        for (const replica of r.replicas) {
          const o = replica.read(0, KEY);
          if (o !== undefined) all = all === undefined ? o : sync(all, o);
        }
        const shown = texts(all, now);
        assert.ok(!shown.includes("v1"), "v1 was superseded by v2");
        assert.ok(!shown.includes("v2"), "v2 expired");
        assert.equal(shown.includes("v3"), holdings.includes("v2v3"), "a live concurrent sibling stays");
      },
    ),
    { numRuns: 60 },
  );
});
