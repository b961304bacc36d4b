import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { kvHandlers } from "../../../src/cluster/kv-handlers.js";
import type { Coordinator } from "../../../src/coordinator/coordinator.js";
import { HintStore } from "../../../src/coordinator/hint-store.js";
import { LocalReplica } from "../../../src/coordinator/local-replica.js";
import { conflictResolution } from "../../../src/core/conflict-mode.js";
import { encodeKey, NamespaceReplicaCounts, type ReplicaCounts } from "../../../src/core/namespace/index.js";
import { partitionOf } from "../../../src/core/partition.js";
import { type RingView, ringView } from "../../../src/core/ring/ring-view.js";
import type { StoredObject } from "../../../src/core/stored-object.js";
import { NotOwnerError } from "../../../src/errors.js";
import { silentLogger } from "../../../src/log/logger.js";
import { NodeMetrics } from "../../../src/metrics/node-metrics.js";
import { type HandlerEntry, peerMessages } from "../../../src/protocol/index.js";
import { MemoryEngine } from "../../../src/storage/memory-engine.js";

const PARTITIONS = 4;
const key = new TextEncoder().encode("k");
const partition = partitionOf(key, PARTITIONS);
// Every partition's home replicas are a, b, c (N=3); the pending next brings in d.
const ring: RingView = ringView(["a", "b", "c", "a"], 3, 5, ["a", "b", "d", "a"]);

function replicaOn(storage: MemoryEngine, actor: string): LocalReplica {
  return new LocalReplica(
    storage,
    {
      actor,
      siblingsMax: 100,
      siblingsWarn: 100,
      objectBytesMax: 1 << 20,
      conflicts: conflictResolution("causal", () => 0),
    },
    silentLogger(),
    new NodeMetrics("n", () => storage.stats(), { processMetrics: false }),
  );
}

async function anObject(): Promise<StoredObject> {
  const source = replicaOn(new MemoryEngine(), "w@1");
  const sibling = {
    value: new TextEncoder().encode("v"),
    contentType: "text/plain",
    deleted: false,
    writtenAtMs: 1,
  };
  return source.coordinateWrite(partition, key, [], sibling, () => undefined);
}

function node(
  selfId: string,
  options: { ring?: RingView; replicaCounts?: ReplicaCounts; onWider?: (p: number) => void } = {},
) {
  const storage = new MemoryEngine();
  const replica = replicaOn(storage, `${selfId}@1`);
  const hints = new HintStore(storage, { hintsPerTargetMax: 100, nowMs: () => 0 });
  const refused: string[] = [];
  const learnFrom: string[] = [];
  let coordinated = 0;
  const coordinator = {
    partitionOf: (k: Uint8Array) => partitionOf(k, PARTITIONS),
    coordinatePut: async () => {
      coordinated += 1;
      return anObject();
    },
  } as unknown as Coordinator;
  const handlers = kvHandlers(replica, hints, coordinator, {
    selfId,
    ring: () => options.ring ?? ring,
    onRefused: (kind) => refused.push(kind),
    onNewerSender: (peer) => learnFrom.push(peer),
    ...(options.replicaCounts === undefined ? {} : { replicaCounts: options.replicaCounts }),
    ...(options.onWider === undefined ? {} : { onWiderThanKnown: options.onWider }),
  });
  const handle = (def: { type: string }, request: unknown): Promise<unknown> => {
    const entry = handlers.find((h: HandlerEntry) => h.def.type === def.type);
    assert.ok(entry !== undefined);
    return Promise.resolve(entry.handle(request, { id: "sender", address: "sender:1" }));
  };
  return { replica, hints, refused, learnFrom, handle, coordinated: () => coordinated };
}

const refusedAt = (version: number) => (e: unknown) =>
  e instanceof NotOwnerError && e.ringVersion === version && e.partition === partition;

test("kv_replicate: a home replica and a receiving one merge; another node refuses and stores nothing", async () => {
  const object = await anObject();
  for (const id of ["a", "d"]) {
    const n = node(id);
    await n.handle(peerMessages.kvReplicate, { partition, key, object, ringVersion: 5 });
    assert.notEqual(n.replica.read(partition, key), undefined, `${id} keeps the write`);
  }
  const stranger = node("e");
  await assert.rejects(
    stranger.handle(peerMessages.kvReplicate, { partition, key, object, ringVersion: 5 }),
    refusedAt(5),
  );
  assert.equal(stranger.replica.read(partition, key), undefined);
  assert.deepEqual(stranger.refused, ["replicate"]);
});

test("kv_replicate from a sender with a newer ring is accepted, and the receiver learns that ring", async () => {
  const n = node("e");
  await n.handle(peerMessages.kvReplicate, { partition, key, object: await anObject(), ringVersion: 6 });
  assert.notEqual(n.replica.read(partition, key), undefined);
  assert.deepEqual(n.learnFrom, ["sender"]);
  assert.deepEqual(n.refused, []);
});

test("kv_replicate from an older sender, or one that does not say, is refused by a non-replica", async () => {
  const n = node("e");
  const object = await anObject();
  await assert.rejects(
    n.handle(peerMessages.kvReplicate, { partition, key, object, ringVersion: 3 }),
    refusedAt(5),
  );
  await assert.rejects(n.handle(peerMessages.kvReplicate, { partition, key, object }), refusedAt(5));
  assert.deepEqual(n.learnFrom, []);
});

test("kv_hint: taken for a home or receiving replica, refused for a node that is neither", async () => {
  const object = await anObject();
  const n = node("e");
  await n.handle(peerMessages.kvHint, { target: "b", partition, key, object, ringVersion: 5 });
  await n.handle(peerMessages.kvHint, { target: "d", partition, key, object, ringVersion: 5 });
  assert.notEqual(n.hints.read("b", partition, key), undefined);
  assert.notEqual(n.hints.read("d", partition, key), undefined);
  await assert.rejects(
    n.handle(peerMessages.kvHint, { target: "f", partition, key, object, ringVersion: 5 }),
    refusedAt(5),
  );
  assert.equal(n.hints.read("f", partition, key), undefined);
  assert.deepEqual(n.refused, ["hint"]);
});

test("kv_put: coordinated only by a replica of the key's partition", async () => {
  const put = {
    key,
    value: new TextEncoder().encode("v"),
    contentType: "text/plain",
    deleted: false,
    writtenAtMs: 1,
    context: [],
    w: 2,
    pw: 0,
    timeoutMs: 1000,
    ringVersion: 5,
  };
  const owner = node("a");
  await owner.handle(peerMessages.kvPut, put);
  assert.equal(owner.coordinated(), 1);
  const stranger = node("e");
  await assert.rejects(stranger.handle(peerMessages.kvPut, put), refusedAt(5));
  assert.equal(stranger.coordinated(), 0, "a refused write was not applied");
  assert.deepEqual(stranger.refused, ["put"]);
});

describe("fencing on a key's replica count", () => {
  // Five nodes; partition p's preference list is the walk from p, so p=0 is a b c d e.
  const wide = ringView(["a", "b", "c", "d", "e", "a", "b", "c"], 3, 5);
  const keyOf = (ns: string): Uint8Array => {
    for (let i = 0; ; i++) {
      const k = encodeKey(ns, new TextEncoder().encode(`k${i}`));
      if (partitionOf(k, 8) === 0) return k;
    }
  };
  const counts = new NamespaceReplicaCounts(3);
  counts.update([
    ["five", { n: 5 }],
    ["two", { n: 2 }],
  ]);

  test("a node fourth in the list takes an n=5 key (known here or said by the sender), not an N=3 one", async () => {
    const object = await anObject();
    const d = node("d", { ring: wide, replicaCounts: counts });
    await d.handle(peerMessages.kvReplicate, { partition: 0, key: keyOf("five"), object, ringVersion: 5 });
    await assert.rejects(
      d.handle(peerMessages.kvReplicate, { partition: 0, key: keyOf("plain"), object, ringVersion: 5 }),
      (e: unknown) => e instanceof NotOwnerError,
    );
    // A node that has not heard of the namespace's n yet fences on the sender's.
    const unaware = node("d", { ring: wide, replicaCounts: new NamespaceReplicaCounts(3) });
    await unaware.handle(peerMessages.kvReplicate, {
      partition: 0,
      key: keyOf("five"),
      object,
      ringVersion: 5,
      n: 5,
    });
    assert.notEqual(unaware.replica.read(0, keyOf("five")), undefined);
  });

  test("a third node refuses an n=2 key, but takes it from a sender still on a larger n and says so", async () => {
    const object = await anObject();
    const wider: number[] = [];
    const c = node("c", { ring: wide, replicaCounts: counts, onWider: (p) => wider.push(p) });
    await assert.rejects(
      c.handle(peerMessages.kvReplicate, { partition: 0, key: keyOf("two"), object, ringVersion: 5, n: 2 }),
      (e: unknown) => e instanceof NotOwnerError,
    );
    assert.deepEqual(wider, []);
    await c.handle(peerMessages.kvReplicate, {
      partition: 0,
      key: keyOf("two"),
      object,
      ringVersion: 5,
      n: 3,
    });
    assert.notEqual(c.replica.read(0, keyOf("two")), undefined);
    assert.deepEqual(wider, [0], "reclaim is told to look at the partition again");
  });
});
