import assert from "node:assert/strict";
import { test } from "node:test";
import type { ClusterView } from "../../../src/cluster/cluster-view.js";
import { PartitionReclaim } from "../../../src/cluster/partition-reclaim.js";
import { mayDrop, stalePartitions } from "../../../src/cluster/reclaim-decision.js";
import { LocalReplica } from "../../../src/coordinator/local-replica.js";
import type { ReplicaAccess } from "../../../src/coordinator/replica-access.js";
import { emptyDvvSet, update, values } from "../../../src/core/causality/index.js";
import { conflictResolution } from "../../../src/core/conflict-mode.js";
import type { RingState } from "../../../src/core/membership/cluster-state.js";
import { homeOf } from "../../../src/core/ring/index.js";
import { ringView } from "../../../src/core/ring/ring-view.js";
import type { Sibling, StoredObject } from "../../../src/core/stored-object.js";
import { silentLogger } from "../../../src/log/logger.js";
import { NodeMetrics } from "../../../src/metrics/node-metrics.js";
import { MemoryEngine } from "../../../src/storage/memory-engine.js";
import { objectKey, partitionRange } from "../../../src/storage/object-key.js";
import { ManualClock } from "../../net/fake-clocks.js";

const OWNERS = ["n1", "n2", "n3", "n4", "n1", "n2", "n3", "n4"];
const N = 2;
const KEYS_PER_PARTITION = 40;
const enc = (s: string) => new TextEncoder().encode(s);

function sibling(value: string): Sibling {
  return { value: enc(value), contentType: "text/plain", deleted: false, writtenAtMs: 1 };
}

test("stale partitions: held and not a home replica, and none while a change is pending", () => {
  const ring = { owners: OWNERS, next: null };
  const held = [0, 1, 2, 3, 4, 5, 6, 7];
  const stale = stalePartitions(ring, N, "n1", held);
  const expected = held.filter((p) => !homeOf(OWNERS, p, N).includes("n1"));
  assert.ok(expected.length > 0 && expected.length < held.length, "the case has both kinds");
  assert.deepEqual(stale, expected);
  assert.deepEqual(stalePartitions({ owners: OWNERS, next: OWNERS }, N, "n1", held), []);
  assert.deepEqual(stalePartitions(null, N, "n1", held), []);
  assert.deepEqual(stalePartitions(ring, N, "n1", [1]), expected.includes(1) ? [1] : []);
  assert.deepEqual(
    stalePartitions(ring, N, "n1", [-1, 8, 99]),
    [],
    "partitions outside the ring are ignored",
  );
});

test("a stale key may be dropped only when every home replica acknowledged exactly what is stored", () => {
  const sent = enc("abc");
  assert.equal(mayDrop(["n2", "n3"], new Set(["n2", "n3"]), sent, enc("abc")), true);
  assert.equal(mayDrop(["n2", "n3"], new Set(["n2"]), sent, enc("abc")), false, "one home replica missing");
  assert.equal(mayDrop(["n2", "n3"], new Set(["n2", "n3"]), sent, enc("abd")), false, "changed meanwhile");
  assert.equal(mayDrop(["n2", "n3"], new Set(["n2", "n3"]), sent, undefined), false, "already gone");
  assert.equal(mayDrop([], new Set(), sent, enc("abc")), false, "no home replica at all");
});

/** A node n1 holding KEYS_PER_PARTITION keys in every partition of OWNERS, and fake home replicas. */
async function setup(options: { refuse?: string; ring?: RingState }) {
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
  for (let p = 0; p < OWNERS.length; p++)
    for (let i = 0; i < KEYS_PER_PARTITION; i++)
      await replica.merge(
        p,
        enc(`p${p}-k${i}`),
        update(emptyDvvSet<Sibling>(), [], "n1@a", sibling(`v${p}-${i}`)),
      );
  /** What each remote replica received, by node, partition and key. */
  const received = new Map<string, Map<string, StoredObject>>();
  const hooks: { onReplicate?: (partition: number, key: Uint8Array) => Promise<void> } = {};
  const access: ReplicaAccess = {
    read: () => Promise.reject(new Error("unused")),
    replicate: async (nodeId, partition, key, object) => {
      await hooks.onReplicate?.(partition, key);
      if (nodeId === options.refuse) throw new Error(`${nodeId} is unreachable`);
      const mine = received.get(nodeId) ?? new Map<string, StoredObject>();
      received.set(nodeId, mine);
      mine.set(`${partition}/${new TextDecoder().decode(key)}`, object);
    },
    hint: () => Promise.reject(new Error("unused")),
    forwardPut: () => Promise.reject(new Error("unused")),
  };
  const ring: RingState = options.ring ?? { version: 3, claimant: "n1", owners: OWNERS, next: null };
  const view: ClusterView = {
    state: () => ({ members: [], ring }),
    member: () => undefined,
    downForMs: () => 0,
    status: () => "up",
    addressOf: () => undefined,
    ring: () => ringView(ring.owners, N, ring.version, ring.next),
  };
  let reclaimedMetric = 0;
  const emptied: number[] = [];
  const reclaim = new PartitionReclaim(
    {
      selfId: "n1",
      n: N,
      partitions: OWNERS.length,
      storage,
      replica,
      access,
      view,
      clock,
      logger: silentLogger(),
      onReclaimed: (keys) => {
        reclaimedMetric += keys;
      },
      onPartitionEmptied: (p) => emptied.push(p),
    },
    {
      intervalMs: 100,
      idleIntervalMaxMs: 1000,
      batchKeysMax: 16,
      keysInFlightMax: 4,
      batchPauseMs: 0,
      keysPerRoundMax: 1000,
      requestTimeoutMs: 100,
    },
  );
  const count = (p: number) => [...storage.scan("objects", partitionRange(p))].length;
  return { storage, replica, reclaim, received, hooks, emptied, count, metric: () => reclaimedMetric };
}

const stale = () => stalePartitions({ owners: OWNERS, next: null }, N, "n1", [0, 1, 2, 3, 4, 5, 6, 7]);

test("reclaim hands every stale key to every home replica, then deletes it; home partitions are kept", async () => {
  const s = await setup({});
  const dropped = await s.reclaim.round();
  assert.equal(dropped, stale().length * KEYS_PER_PARTITION);
  assert.equal(s.metric(), dropped);
  assert.deepEqual(s.emptied, stale(), "each emptied partition's derived state is dropped");
  for (let p = 0; p < OWNERS.length; p++) {
    if (stale().includes(p)) {
      assert.equal(s.count(p), 0, `stale partition ${p} emptied`);
      for (const home of homeOf(OWNERS, p, N))
        for (let i = 0; i < KEYS_PER_PARTITION; i++)
          assert.ok(
            s.received.get(home)?.has(`${p}/p${p}-k${i}`),
            `${home} got p${p}-k${i} before it was deleted`,
          );
    } else assert.equal(s.count(p), KEYS_PER_PARTITION, `home partition ${p} untouched`);
  }
  assert.equal(await s.reclaim.round(), 0, "nothing left to reclaim");
});

test("reclaim deletes nothing of a partition one of whose home replicas does not acknowledge", async () => {
  const s = await setup({ refuse: "n3" });
  await s.reclaim.round();
  for (const p of stale()) {
    const blocked = homeOf(OWNERS, p, N).includes("n3");
    assert.equal(
      s.count(p),
      blocked ? KEYS_PER_PARTITION : 0,
      `partition ${p} (homes ${homeOf(OWNERS, p, N)})`,
    );
  }
  assert.ok(
    stale().some((p) => homeOf(OWNERS, p, N).includes("n3")),
    "the case blocks a partition",
  );
});

test("reclaim waits while a ring change is pending", async () => {
  const s = await setup({ ring: { version: 4, claimant: "n1", owners: OWNERS, next: OWNERS } });
  assert.equal(await s.reclaim.round(), 0);
  for (let p = 0; p < OWNERS.length; p++) assert.equal(s.count(p), KEYS_PER_PARTITION);
});

/** Rewrites `p${p}-k0` (a new version) whenever it is handed over, `times` times at most. */
function rewriteOnHandOver(s: Awaited<ReturnType<typeof setup>>, p: number, times: number): () => number {
  const key = enc(`p${p}-k0`);
  let rewrites = 0;
  s.hooks.onReplicate = async (partition, k) => {
    if (rewrites >= times || partition !== p || !Buffer.from(k).equals(Buffer.from(key))) return;
    rewrites += 1;
    const old = s.replica.read(partition, k);
    assert.ok(old !== undefined);
    await s.replica.merge(partition, k, update(old, [], "n9@z", sibling(`newer-${rewrites}`)));
  };
  return () => rewrites;
}

test("a key written while it is handed over is deleted only after its new version was handed over", async () => {
  const s = await setup({});
  const [p] = stale();
  assert.ok(p !== undefined);
  const rewrites = rewriteOnHandOver(s, p, 1);
  await s.reclaim.round();
  assert.equal(rewrites(), 1);
  assert.equal(s.count(p), 0);
  for (const home of homeOf(OWNERS, p, N)) {
    const got = s.received.get(home)?.get(`${p}/p${p}-k0`);
    assert.ok(got !== undefined);
    const held = values(got).map((v) => new TextDecoder().decode(v.value));
    assert.ok(held.includes("newer-1"), `${home} holds the newer version: ${held}`);
  }
});

test("a key that changes at every hand-over is kept (the round gives up on it, the rest goes)", async () => {
  const s = await setup({});
  const [p] = stale();
  assert.ok(p !== undefined);
  rewriteOnHandOver(s, p, 1_000);
  await s.reclaim.round();
  assert.ok(
    s.storage.get("objects", objectKey(p, enc(`p${p}-k0`))) !== undefined,
    "the changing key is kept",
  );
  assert.equal(s.count(p), 1, "the others of the partition are gone");
  assert.ok(!s.emptied.includes(p), "a partition still holding a key keeps its derived state");
});
