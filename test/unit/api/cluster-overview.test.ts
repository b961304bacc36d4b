import assert from "node:assert/strict";
import { test } from "node:test";
import {
  assembleOverview,
  compactRing,
  type RingOwners,
  type StatsResult,
  statsTargets,
} from "../../../src/api/cluster-overview.js";
import type { MemberInfo } from "../../../src/api/interface.js";
import { mapBounded, statsAddress } from "../../../src/api/member-stats.js";
import { BadStatsError, type NodeStats, parseNodeStats } from "../../../src/api/node-stats.js";
import { defaultClusterSettings } from "../../../src/config/node-options.js";

const op = (opsPerSecond: number) => ({
  count: Math.round(opsPerSecond * 10),
  errors: 0,
  opsPerSecond,
  errorsPerSecond: 0,
  meanMs: opsPerSecond === 0 ? null : 1.5,
  p50Ms: opsPerSecond === 0 ? null : 1.2,
  p99Ms: opsPerSecond === 0 ? null : 4,
  maxMs: opsPerSecond === 0 ? null : 6,
});

function stats(id: string, putRate = 0): NodeStats {
  return {
    id,
    windowSeconds: 10,
    kv: { get: op(0), put: op(putRate), delete: op(0) },
    hints: { pending: 0, stored: 0, delivered: 0, refused: 0 },
    antiEntropy: { exchanges: 3, keysRepaired: 1, lastExchangeAgeSeconds: 0.4, partitionsExchanged: 3 },
    readRepairs: 0,
    repair: {
      lastHour: span(3600, 4),
      lastDay: span(86_400, 9),
      aaeFullPassAgeSeconds: 12.5,
      targets: [
        {
          target: "n3",
          pending: 2,
          lastHour: { stored: 4, delivered: 2, expired: 0, refused: 0 },
          lastDay: { stored: 9, delivered: 5, expired: 2, refused: 0 },
        },
      ],
      targetsOmitted: 0,
    },
  };
}

function span(spanSeconds: number, stored: number): NodeStats["repair"]["lastDay"] {
  return {
    spanSeconds,
    hints: { stored, delivered: 0, expired: 0, refused: 0 },
    aaeExchanges: 128,
    aaeKeysRepaired: 3,
    readRepairs: 1,
  };
}

function member(id: string, over: Partial<MemberInfo> = {}): MemberInfo {
  return {
    id,
    listen: "10.0.0.1:7001",
    http: "10.0.0.1:8001",
    zone: null,
    state: "active",
    status: "up",
    load: { keys: 0, hints: 0, diskBytes: 0 },
    partitions: 0,
    transfer: { version: 0, remaining: 0, keys: 0, bytes: 0 },
    ...over,
  };
}

const ring: RingOwners = {
  n: 2,
  version: 7,
  owners: [
    ["b", "a"],
    ["a", "c"],
    ["c", "b"],
    ["b", "a"],
  ],
};

test("compactRing keeps one owner index per partition and names each owner once, in ring order", () => {
  assert.deepEqual(compactRing(ring), {
    partitions: 4,
    n: 2,
    version: 7,
    nodes: ["b", "a", "c"],
    owners: [0, 1, 2, 0],
  });
  assert.deepEqual(compactRing({ n: 3, owners: [] }), {
    partitions: 0,
    n: 3,
    version: 0,
    nodes: [],
    owners: [],
  });
  assert.throws(() => compactRing({ n: 1, owners: [[]] }), /empty preference list/);
});

test("stats are asked only of members that are neither down nor gone", () => {
  const members = [
    member("a"),
    member("b", { status: "suspect" }),
    member("c", { status: "down" }),
    member("d", { state: "left" }),
    member("e", { state: "joining" }),
  ];
  assert.deepEqual(
    statsTargets(members).map((m) => m.id),
    ["a", "b", "e"],
  );
});

test("the overview sorts members by id and attaches each one's stats or the reason they are missing", () => {
  const results = new Map<string, StatsResult>([
    ["a", { ok: true, stats: stats("a", 12) }],
    ["b", { ok: false, error: "timeout" }],
  ]);
  const overview = assembleOverview({
    self: "a",
    nowMs: 1234,
    settings: { ...defaultClusterSettings, partitions: 4, n: 2, r: 1, w: 1 },
    ring,
    members: [member("c", { status: "down" }), member("b"), member("a"), member("z", { state: "left" })],
    stats: results,
  });
  assert.equal(overview.self, "a");
  assert.equal(overview.generatedAtMs, 1234);
  assert.deepEqual(overview.settings, { partitions: 4, n: 2, r: 1, w: 1 });
  assert.deepEqual(overview.ring.owners, [0, 1, 2, 0]);
  assert.deepEqual(
    overview.members.map((m) => [m.id, m.statsError, m.stats?.kv.put.opsPerSecond ?? null]),
    [
      ["a", null, 12],
      ["b", "timeout", null],
      ["c", "down", null],
      ["z", "left", null],
    ],
  );
  // The membership fields pass through unchanged.
  assert.equal(overview.members[2]?.status, "down");
});

test("a live member with no stats result is shown as unreachable", () => {
  const overview = assembleOverview({
    self: "a",
    nowMs: 0,
    settings: defaultClusterSettings,
    ring,
    members: [member("q")],
    stats: new Map(),
  });
  assert.equal(overview.members[0]?.statsError, "unreachable");
});

test("parseNodeStats accepts a /stats body and returns the same figures", () => {
  const s = stats("n2", 3.5);
  assert.deepEqual(parseNodeStats(JSON.parse(JSON.stringify(s))), s);
});

test("parseNodeStats refuses bodies that are not stats, naming the field", () => {
  const good = stats("n2");
  const cases: [unknown, RegExp][] = [
    [null, /body/],
    [[], /body/],
    [{ ...good, id: 7 }, /id/],
    [{ ...good, id: "" }, /id/],
    [{ ...good, kv: { ...good.kv, put: undefined } }, /kv\.put/],
    [{ ...good, kv: { ...good.kv, get: { ...good.kv.get, opsPerSecond: -1 } } }, /kv\.get\.opsPerSecond/],
    [{ ...good, kv: { ...good.kv, get: { ...good.kv.get, p99Ms: "1" } } }, /kv\.get\.p99Ms/],
    [{ ...good, hints: { ...good.hints, pending: 1.5 } }, /hints\.pending/],
    [{ ...good, antiEntropy: { ...good.antiEntropy, lastExchangeAgeSeconds: Number.NaN } }, /antiEntropy/],
    [{ ...good, readRepairs: undefined }, /readRepairs/],
    [{ ...good, repair: undefined }, /repair/],
    [{ ...good, repair: { ...good.repair, aaeFullPassAgeSeconds: -1 } }, /repair\.aaeFullPassAgeSeconds/],
    [
      { ...good, repair: { ...good.repair, lastDay: { ...good.repair.lastDay, hints: {} } } },
      /repair\.lastDay\.hints\.stored/,
    ],
    [{ ...good, repair: { ...good.repair, targets: {} } }, /repair\.targets/],
    [
      { ...good, repair: { ...good.repair, targets: Array(33).fill(good.repair.targets[0]) } },
      /more than 32/,
    ],
    [
      { ...good, repair: { ...good.repair, targets: [{ ...good.repair.targets[0], target: 5 }] } },
      /repair\.targets\[0\]\.target/,
    ],
    [{ ...good, repair: { ...good.repair, targetsOmitted: 0.5 } }, /repair\.targetsOmitted/],
  ];
  for (const [body, message] of cases) {
    assert.throws(
      () => parseNodeStats(body),
      (e: unknown) => e instanceof BadStatsError && message.test(e.message),
      JSON.stringify(body)?.slice(0, 80),
    );
  }
});

test("a member bound to a wildcard address is reached on its inter-node host", () => {
  assert.deepEqual(statsAddress({ http: "10.0.0.5:8001", listen: "10.0.0.5:7001" }), {
    host: "10.0.0.5",
    port: 8001,
  });
  assert.deepEqual(statsAddress({ http: "0.0.0.0:8001", listen: "10.0.0.5:7001" }), {
    host: "10.0.0.5",
    port: 8001,
  });
  assert.deepEqual(statsAddress({ http: "[::]:8001", listen: "[fd00::5]:7001" }), {
    host: "fd00::5",
    port: 8001,
  });
});

test("mapBounded keeps at most `limit` calls pending and returns results in order", async () => {
  let pending = 0;
  let peak = 0;
  const results = await mapBounded([5, 1, 4, 2, 3, 0, 6], 3, async (x) => {
    pending += 1;
    peak = Math.max(peak, pending);
    await new Promise((resolve) => setTimeout(resolve, x));
    pending -= 1;
    return x * 10;
  });
  assert.deepEqual(results, [50, 10, 40, 20, 30, 0, 60]);
  assert.equal(peak, 3);
  assert.deepEqual(await mapBounded([], 2, async (x: number) => x), []);
  await assert.rejects(
    mapBounded([1], 0, async (x) => x),
    RangeError,
  );
});
