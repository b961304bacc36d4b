import assert from "node:assert/strict";
import { test } from "node:test";
import { kvHandlers } from "../../../src/cluster/kv-handlers.js";
import type { Coordinator } from "../../../src/coordinator/coordinator.js";
import { HintStore } from "../../../src/coordinator/hint-store.js";
import { LocalReplica } from "../../../src/coordinator/local-replica.js";
import { conflictResolution } from "../../../src/core/conflict-mode.js";
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

function node(selfId: string) {
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
    ring: () => ring,
    onRefused: (kind) => refused.push(kind),
    onNewerSender: (peer) => learnFrom.push(peer),
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
