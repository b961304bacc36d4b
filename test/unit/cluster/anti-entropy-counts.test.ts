import assert from "node:assert/strict";
import { test } from "node:test";
import { AntiEntropy } from "../../../src/cluster/anti-entropy.js";
import type { ClusterView } from "../../../src/cluster/cluster-view.js";
import { defaultNodeOptions } from "../../../src/config/node-options.js";
import { LocalReplica } from "../../../src/coordinator/local-replica.js";
import { emptyDvvSet, update } from "../../../src/core/causality/index.js";
import { conflictResolution } from "../../../src/core/conflict-mode.js";
import { encodeKey, NamespaceReplicaCounts } from "../../../src/core/namespace/index.js";
import { partitionOf } from "../../../src/core/partition.js";
import { ringView } from "../../../src/core/ring/ring-view.js";
import { encodeStoredObject, type Sibling } from "../../../src/core/stored-object.js";
import { silentLogger } from "../../../src/log/logger.js";
import { NodeMetrics } from "../../../src/metrics/node-metrics.js";
import type { MemberClient } from "../../../src/protocol/index.js";
import { MemoryEngine } from "../../../src/storage/memory-engine.js";
import { objectKey } from "../../../src/storage/object-key.js";
import { ManualClock } from "../../net/fake-clocks.js";

const enc = (s: string) => new TextEncoder().encode(s);

function sibling(value: string): Sibling {
  return { value: enc(value), contentType: "text/plain", deleted: false, writtenAtMs: 1 };
}

/** Anti-entropy over `storage` and `replica` (its trees built now), under `counts`. */
function antiEntropyOver(
  storage: MemoryEngine,
  replica: LocalReplica,
  counts: NamespaceReplicaCounts,
  extra: {
    view?: ClusterView;
    onForeignCopy?: (partition: number) => void;
    digestCacheEntriesMax?: number;
  } = {},
) {
  const options = defaultNodeOptions({ id: "n1", dataDir: "/unused", clusterName: "test" });
  const antiEntropy = new AntiEntropy(
    {
      selfId: "n1",
      storage,
      replica,
      // Rounds never run here: only the trees' upkeep on changes is under test.
      peers: {} as MemberClient,
      view: extra.view ?? ({} as ClusterView),
      clock: new ManualClock(),
      logger: silentLogger(),
      tombstoneGraceMs: 24 * 3600 * 1000,
      onExchange: () => undefined,
      replicaCounts: counts,
      clusterN: 3,
      ...(extra.onForeignCopy === undefined ? {} : { onForeignCopy: extra.onForeignCopy }),
    },
    {
      ...options.antiEntropy,
      ...(extra.digestCacheEntriesMax === undefined
        ? {}
        : { digestCacheEntriesMax: extra.digestCacheEntriesMax }),
    },
  );
  antiEntropy.rebuild();
  return antiEntropy;
}

/** The roots of partition 0's trees of counts 2 and 3, as a peer asks for them. */
async function rootsOf(antiEntropy: AntiEntropy): Promise<string[]> {
  const entry = antiEntropy.handlers().find((h) => h.def.type === "aae_roots");
  assert.ok(entry !== undefined);
  const out: string[] = [];
  for (const n of [2, 3]) {
    const reply = (await entry.handle({ partitions: [0], n }, { id: "peer", address: "127.0.0.1:1" })) as {
      roots: Uint8Array;
    };
    out.push(`n=${n}:${Buffer.from(reply.roots).toString("hex")}`);
  }
  return out;
}

/** A replica whose anti-entropy trees listen to it, under replica counts the test changes. */
function setup(digestCacheEntriesMax?: number) {
  const storage = new MemoryEngine();
  const clock = new ManualClock();
  const metrics = new NodeMetrics("n1", () => storage.stats(), { processMetrics: false });
  const replica = new LocalReplica(storage, replicaOptions(clock), silentLogger(), metrics);
  const counts = new NamespaceReplicaCounts(3);
  const antiEntropy = antiEntropyOver(
    storage,
    replica,
    counts,
    digestCacheEntriesMax === undefined ? {} : { digestCacheEntriesMax },
  );
  return {
    storage,
    replica,
    counts,
    /** The trees (rebuilt first if due, as a peer's request does) match ones built afresh from storage. */
    async assertExact(what: string) {
      const fresh = new LocalReplica(storage, replicaOptions(clock), silentLogger(), metrics);
      assert.deepEqual(
        await rootsOf(antiEntropy),
        await rootsOf(antiEntropyOver(storage, fresh, counts)),
        what,
      );
    },
  };
}

function replicaOptions(clock: ManualClock) {
  return {
    actor: "n1@a",
    siblingsMax: 100,
    siblingsWarn: 50,
    objectBytesMax: 8 * 1024 * 1024,
    conflicts: conflictResolution("causal", () => clock.nowMs()),
  };
}

test("a key written under the cluster's N and dropped once its namespace's n changed, before the next round, leaves its trees consistent", async () => {
  const { storage, replica, counts, assertExact } = setup();
  const key = encodeKey("narrow", enc("k0"));
  await replica.merge(0, key, update(emptyDvvSet<Sibling>(), [], "n1@a", sibling("v0")));
  // The namespace's n arrives through the metadata: its keys now belong in the n=2 trees.
  counts.update([["narrow", { n: 2 }]]);
  const stored = storage.get("objects", objectKey(0, key));
  assert.ok(stored !== undefined);
  // Reclaim drops the key (this node is third in the preference list, outside the first 2).
  assert.equal(await replica.drop(0, key, stored), true);
  assert.equal(storage.get("objects", objectKey(0, key)), undefined);
  await assertExact("after the drop, the trees match storage");
});

test("writes and drops after an n change keep the trees consistent for the keys of every count", async () => {
  const { storage, replica, counts, assertExact } = setup();
  const narrow = encodeKey("narrow", enc("k1"));
  const plain = enc("k2");
  await replica.merge(0, narrow, update(emptyDvvSet<Sibling>(), [], "n1@a", sibling("v1")));
  await replica.merge(0, plain, update(emptyDvvSet<Sibling>(), [], "n1@a", sibling("v2")));
  counts.update([["narrow", { n: 2 }]]);
  // A new version of the key, then its drop, then the same for a key whose n did not change.
  await replica.merge(0, narrow, update(emptyDvvSet<Sibling>(), [], "n1@b", sibling("v3")));
  for (const key of [narrow, plain]) {
    const stored = storage.get("objects", objectKey(0, key));
    assert.ok(stored !== undefined);
    assert.equal(await replica.drop(0, key, stored), true);
  }
  await assertExact("after writes and drops across the change");
});

test("a change in flight while the counts change: the trees are rebuilt only once every change was heard", async () => {
  const { replica, counts, assertExact } = setup();
  const narrow = encodeKey("narrow", enc("k3"));
  await replica.merge(0, narrow, update(emptyDvvSet<Sibling>(), [], "n1@a", sibling("v1")));
  counts.update([["narrow", { n: 2 }]]);
  // Two issued together, not yet heard: a rebuild when the first is heard (the second already
  // in storage) would count the second twice once its listeners are told.
  const pending = [
    replica.merge(0, enc("k4"), update(emptyDvvSet<Sibling>(), [], "n1@a", sibling("v4"))),
    replica.merge(0, narrow, update(emptyDvvSet<Sibling>(), [], "n1@c", sibling("v5"))),
  ];
  assert.equal(replica.transitionsUnreported, 2, "both changes are in flight");
  await Promise.all(pending);
  assert.equal(replica.transitionsUnreported, 0);
  await assertExact("the rebuild after the last change was heard matches storage");
});

test("a pushed key this node is outside the first n of tells reclaim to look at its partition again", async () => {
  const storage = new MemoryEngine();
  const clock = new ManualClock();
  const metrics = new NodeMetrics("n1", () => storage.stats(), { processMetrics: false });
  const replica = new LocalReplica(storage, replicaOptions(clock), silentLogger(), metrics);
  const counts = new NamespaceReplicaCounts(3);
  counts.update([["narrow", { n: 2 }]]);
  const foreign: number[] = [];
  const antiEntropy = antiEntropyOver(storage, replica, counts, {
    view: { ring: () => ringView(["n2", "n3", "n1", "n2"], 3, 1) } as unknown as ClusterView,
    onForeignCopy: (p) => foreign.push(p),
  });
  const push = antiEntropy.handlers().find((h) => h.def.type === "aae_push");
  assert.ok(push !== undefined);
  const object = encodeStoredObject(update(emptyDvvSet<Sibling>(), [], "n2@a", sibling("v")));
  const from = { id: "n2", address: "127.0.0.1:1" };
  // Partition 0 of 4: n2 n3 n1 -> n1 is a home replica of a plain key, not of a narrow one.
  const keyIn0 = (ns: string): Uint8Array => {
    for (let i = 0; ; i++) {
      const k = encodeKey(ns, enc(`p${i}`));
      if (partitionOf(k, 4) === 0) return k;
    }
  };
  await push.handle({ partition: 0, items: [[keyIn0("plain"), object]] }, from);
  assert.deepEqual(foreign, [], "a key n1 is a home replica of");
  await push.handle({ partition: 0, items: [[keyIn0("narrow"), object]] }, from);
  assert.deepEqual(foreign, [0]);
});

for (const entriesMax of [0, 4, 16_384]) {
  test(`many versions of a few keys keep the trees exact with a digest cache of ${entriesMax} entries`, async () => {
    const { storage, replica, assertExact } = setup(entriesMax);
    const keys = Array.from({ length: 8 }, (_, i) => enc(`hot-${i}`));
    for (let round = 0; round < 20; round++) {
      for (const [i, key] of keys.entries()) {
        // New versions from two actors (so siblings), and now and then a drop, as reclaim does.
        const actor = round % 2 === 0 ? "n1@a" : "n2@a";
        const stored = storage.get("objects", objectKey(0, key));
        if (stored !== undefined && (round + i) % 7 === 0) {
          assert.equal(await replica.drop(0, key, stored), true);
          continue;
        }
        // Twice in a row: the second finds the first's digest cached, even in a small cache.
        await replica.merge(0, key, update(emptyDvvSet<Sibling>(), [], actor, sibling(`v${round}-${i}`)));
        await replica.merge(0, key, update(emptyDvvSet<Sibling>(), [], actor, sibling(`w${round}-${i}`)));
      }
    }
    await assertExact(`after 300 changes with a cache of ${entriesMax}`);
  });
}
