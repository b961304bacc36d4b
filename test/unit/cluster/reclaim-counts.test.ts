import assert from "node:assert/strict";
import { test } from "node:test";
import type { ClusterView } from "../../../src/cluster/cluster-view.js";
import { PartitionReclaim } from "../../../src/cluster/partition-reclaim.js";
import { LocalReplica } from "../../../src/coordinator/local-replica.js";
import type { ReplicaAccess } from "../../../src/coordinator/replica-access.js";
import { emptyDvvSet, update } from "../../../src/core/causality/index.js";
import { conflictResolution } from "../../../src/core/conflict-mode.js";
import type { RingState } from "../../../src/core/membership/cluster-state.js";
import { encodeKey, NamespaceReplicaCounts } from "../../../src/core/namespace/index.js";
import { partitionOf } from "../../../src/core/partition.js";
import { homeOf } from "../../../src/core/ring/index.js";
import { ringView } from "../../../src/core/ring/ring-view.js";
import type { Sibling } from "../../../src/core/stored-object.js";
import { silentLogger } from "../../../src/log/logger.js";
import { NodeMetrics } from "../../../src/metrics/node-metrics.js";
import { MemoryEngine } from "../../../src/storage/memory-engine.js";
import { objectKey } from "../../../src/storage/object-key.js";
import { ManualClock } from "../../net/fake-clocks.js";

// Four partitions, N=3: n1 is first of partition 0, second of 3, third of 2, absent from 1.
const OWNERS = ["n1", "n2", "n3", "n4"];
const enc = (s: string) => new TextEncoder().encode(s);
const sibling: Sibling = { value: enc("v"), contentType: "text/plain", deleted: false, writtenAtMs: 1 };

async function setup() {
  const storage = new MemoryEngine();
  const clock = new ManualClock();
  const conflicts = conflictResolution("causal", () => clock.nowMs());
  const metrics = new NodeMetrics("n1", () => storage.stats(), { processMetrics: false });
  const replica = new LocalReplica(
    storage,
    { actor: "n1@a", siblingsMax: 100, siblingsWarn: 50, objectBytesMax: 1 << 20, conflicts },
    silentLogger(),
    metrics,
  );
  const counts = new NamespaceReplicaCounts(3);
  counts.update([["narrow", { n: 2 }]]);
  /** What each home replica was handed, as "node:stored key". */
  const handed: string[] = [];
  const access: ReplicaAccess = {
    read: () => Promise.reject(new Error("unused")),
    replicate: async (nodeId, _p, key) => {
      handed.push(`${nodeId}:${new TextDecoder().decode(key)}`);
    },
    hint: () => Promise.reject(new Error("unused")),
    forwardPut: () => Promise.reject(new Error("unused")),
  };
  const ring: RingState = { version: 3, claimant: "n1", owners: OWNERS, next: null };
  const view: ClusterView = {
    state: () => ({ members: [], ring }),
    member: () => undefined,
    downForMs: () => 0,
    status: () => "up",
    addressOf: () => undefined,
    ring: () => ringView(ring.owners, 3, ring.version, ring.next),
  };
  const reclaim = new PartitionReclaim(
    {
      selfId: "n1",
      n: 3,
      partitions: OWNERS.length,
      storage,
      replica,
      access,
      view,
      clock,
      logger: silentLogger(),
      onReclaimed: () => undefined,
      onPartitionEmptied: () => undefined,
      replicaCounts: counts,
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
  const write = (p: number, key: Uint8Array) =>
    replica.merge(p, key, update(emptyDvvSet<Sibling>(), [], "n0@a", sibling));
  const holds = (p: number, key: Uint8Array) => storage.get("objects", objectKey(p, key)) !== undefined;
  return { reclaim, write, holds, handed };
}

/** A stored key of namespace `ns` in partition `p` (of 4). */
function keyIn(ns: string, p: number, tag: string): Uint8Array {
  for (let i = 0; ; i++) {
    const key = encodeKey(ns, enc(`${tag}${i}`));
    if (partitionOf(key, OWNERS.length) === p) return key;
  }
}

test("third of a partition: keeps the N=3 keys, hands the n=2 ones to the first two and deletes them", async () => {
  const s = await setup();
  const p = 2;
  assert.deepEqual(homeOf(OWNERS, p, 3).indexOf("n1"), 2, "n1 is third of partition 2");
  const narrow = keyIn("narrow", p, "a");
  const plain = keyIn("plain", p, "b");
  await s.write(p, narrow);
  await s.write(p, plain);
  assert.equal(await s.reclaim.round(), 1);
  assert.equal(s.holds(p, narrow), false, "the n=2 key is gone");
  assert.equal(s.holds(p, plain), true, "the N=3 key stays");
  const home2 = homeOf(OWNERS, p, 2);
  assert.deepEqual(
    s.handed
      .filter((h) => h.endsWith(new TextDecoder().decode(narrow)))
      .map((h) => h.split(":")[0])
      .sort(),
    [...home2].sort(),
    "handed to each of its two home replicas first",
  );
});

test("a partition found clean is not walked again, until a copy it should not keep may have come in", async () => {
  const s = await setup();
  const p = 2;
  await s.write(p, keyIn("plain", p, "c"));
  assert.equal(await s.reclaim.round(), 0, "clean");
  const narrow = keyIn("narrow", p, "d");
  await s.write(p, narrow);
  assert.equal(await s.reclaim.round(), 0, "marked clean for this ring and these counts: not walked");
  assert.equal(s.holds(p, narrow), true);
  s.reclaim.recheck(p);
  assert.equal(await s.reclaim.round(), 1, "walked again after recheck");
  assert.equal(s.holds(p, narrow), false);
});
