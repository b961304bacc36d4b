import assert from "node:assert/strict";
import { test } from "node:test";
import type { ClusterView } from "../../../src/cluster/cluster-view.js";
import { PartitionTransfer, type TransferDeps } from "../../../src/cluster/partition-transfer.js";
import { TransferCursors } from "../../../src/cluster/transfer-cursor.js";
import { LocalReplica } from "../../../src/coordinator/local-replica.js";
import { emptyDvvSet, update } from "../../../src/core/causality/index.js";
import { conflictResolution } from "../../../src/core/conflict-mode.js";
import {
  type ClusterState,
  type MemberRecord,
  NO_LOAD,
  NO_TRANSFER,
  type RingState,
} from "../../../src/core/membership/cluster-state.js";
import { ringView } from "../../../src/core/ring/ring-view.js";
import type { Sibling } from "../../../src/core/stored-object.js";
import type { Logger } from "../../../src/log/logger.js";
import { silentLogger } from "../../../src/log/logger.js";
import { NodeMetrics } from "../../../src/metrics/node-metrics.js";
import { peerMessages, type ReplyOut } from "../../../src/protocol/index.js";
import { MemoryEngine } from "../../../src/storage/memory-engine.js";
import { partitionRange } from "../../../src/storage/object-key.js";
import { ManualClock } from "../../net/fake-clocks.js";
import { captureLogs } from "../../net/log-capture.js";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const KEYS = 50;
const BATCH = 10;
const VERSION = 5;

function member(id: string, transferVersion = 0): MemberRecord {
  return {
    id,
    listen: `${id}:7000`,
    http: `${id}:8000`,
    state: "active",
    stateVersion: 1,
    generation: 1,
    heartbeat: 1,
    load: NO_LOAD,
    transfer: { ...NO_TRANSFER, version: transferVersion },
    ringVersion: VERSION,
    infoVersion: 1,
  };
}

function replicaOn(storage: MemoryEngine, actor: string, clock: ManualClock): LocalReplica {
  const conflicts = conflictResolution("causal", () => clock.nowMs());
  const metrics = new NodeMetrics(actor, () => storage.stats(), { processMetrics: false });
  return new LocalReplica(
    storage,
    { actor, siblingsMax: 100, siblingsWarn: 50, objectBytesMax: 8 * 1024 * 1024, conflicts },
    silentLogger(),
    metrics,
  );
}

/**
 * One partition moving from n1 to n2 (N=1). n2's transfers run against n1's real scan handler;
 * `failAfterBatches` makes n1 unreachable after that many batches (n2 crashes mid-partition).
 */
async function world() {
  const clock = new ManualClock();
  const sourceStorage = new MemoryEngine();
  const source = replicaOn(sourceStorage, "n1@a", clock);
  for (let i = 0; i < KEYS; i++)
    await source.merge(
      0,
      enc(`k${String(i).padStart(2, "0")}`),
      update(emptyDvvSet<Sibling>(), [], "n1@a", {
        value: enc(`v${i}`),
        contentType: "text/plain",
        deleted: false,
        writtenAtMs: 1,
      }),
    );
  const ring: { current: RingState } = {
    current: { version: VERSION, claimant: "n1", owners: ["n1"], next: ["n2"] },
  };
  let self = member("n2");
  const state = (): ClusterState => ({ members: [member("n1"), self], ring: ring.current });
  const view: ClusterView = {
    state,
    member: (id) => state().members.find((m) => m.id === id),
    status: () => "up",
    downForMs: () => 0,
    addressOf: (id) => `${id}:7000`,
    ring: () => ringView(ring.current.owners, 1, ring.current.version, ring.current.next),
  };
  const options = {
    intervalMs: 100,
    idleIntervalMaxMs: 1000,
    partitionsConcurrentMax: 1,
    batchKeysMax: BATCH,
    batchBytesMax: 1 << 20,
    requestTimeoutMs: 100,
  };
  const baseDeps = { n: 1, partitions: 1, joinTimeoutMs: 60_000, view, clock, logger: silentLogger() };
  const serving = new PartitionTransfer(
    {
      ...baseDeps,
      selfId: "n1",
      storage: sourceStorage,
      replica: source,
      updateSelf: async () => undefined,
      peers: { request: () => Promise.reject(new Error("unused")) },
    },
    options,
  );
  const scan = serving.handlers().find((h) => h.def === peerMessages.xferScan);
  assert.ok(scan !== undefined);
  const gainingStorage = new MemoryEngine();
  const requests: (string | null)[] = [];
  /** Starts n2's transfer process on its (surviving) storage. */
  const startGaining = (failAfterBatches: number, logger: Logger) => {
    let served = 0;
    const peers: TransferDeps["peers"] = {
      request: async (_id, def, body) => {
        assert.equal(def, peerMessages.xferScan);
        if (served++ >= failAfterBatches) throw new Error("n1 unreachable");
        const after = (body as { after: Uint8Array | null }).after;
        requests.push(after === null ? null : dec(after));
        // Through the wire format's shape: the handler answers what xfer_scan_ok carries.
        return (await scan.handle(body, { id: "n2", address: "n2:7000" })) as ReplyOut<typeof def>;
      },
    };
    return new PartitionTransfer(
      {
        ...baseDeps,
        logger,
        selfId: "n2",
        storage: gainingStorage,
        replica: replicaOn(gainingStorage, "n2@a", clock),
        updateSelf: async (change) => {
          self = change(self);
        },
        peers,
      },
      options,
    );
  };
  const run = async (transfer: PartitionTransfer, ms: number) => {
    transfer.start();
    for (let t = 0; t < ms; t += 100) await clock.advance(100);
    transfer.stop();
  };
  const gainedKeys = () => [...gainingStorage.scan("objects", partitionRange(0))].length;
  const metaKeys = () =>
    [...gainingStorage.scan("meta")].map(([k]) => dec(k)).filter((k) => k.startsWith("xfer/"));
  /** As if the done report never reached gossip before the crash. */
  const forgetReport = () => {
    self = member("n2");
  };
  return {
    ring,
    self: () => self,
    forgetReport,
    requests,
    startGaining,
    run,
    gainedKeys,
    metaKeys,
    gainingStorage,
  };
}

test("a gaining node restarted mid-partition resumes after the last key it merged, not from the first", async () => {
  const w = await world();
  await w.run(w.startGaining(3, silentLogger()), 300);
  assert.equal(w.gainedKeys(), 3 * BATCH, "three batches merged before the source went away");
  assert.equal(w.self().transfer.version, 0, "not done");
  assert.deepEqual(w.metaKeys(), [`xfer/${VERSION}/0/n1`], "one cursor persisted");
  const before = w.requests.length;
  // A new process on the same data directory (the first one's memory is gone).
  const logs = captureLogs();
  const restarted = w.startGaining(1_000, logs.logger);
  await w.run(restarted, 300);
  assert.equal(w.requests[before], "k29", "the first request after the restart starts after the cursor");
  assert.equal(w.gainedKeys(), KEYS);
  assert.equal(w.self().transfer.version, VERSION, "the version is reported done");
  assert.equal(restarted.resumed, 1);
  assert.ok(logs.entries().some((e) => e.msg === "partition transfer resumes a partition from its cursor"));
  assert.deepEqual(
    w.metaKeys(),
    [`xfer/${VERSION}/0`],
    "the partition is marked received, its cursor dropped",
  );
  // The change completes: the stored progress goes.
  w.ring.current = { version: VERSION, claimant: "n1", owners: ["n2"], next: null };
  await w.run(restarted, 200);
  assert.deepEqual(w.metaKeys(), []);
});

test("a partition received before a restart is not fetched again", async () => {
  const w = await world();
  const first = w.startGaining(1_000, silentLogger());
  await w.run(first, 300);
  assert.equal(w.self().transfer.version, VERSION);
  // The restarted node must find the mark even if its report never reached gossip.
  w.forgetReport();
  const requests = w.requests.length;
  const logs = captureLogs();
  const restarted = w.startGaining(0, logs.logger); // any request would fail
  await w.run(restarted, 300);
  assert.equal(w.requests.length, requests, "no scan after the restart");
  assert.ok(logs.entries().some((e) => e.msg === "partition transfer resumed from persisted cursors"));
  assert.equal(w.self().transfer.version, VERSION, "reported done again from the stored mark");
});

test("cursors of other ring versions are deleted when a version's progress is loaded", async () => {
  const storage = new MemoryEngine();
  const cursors = new TransferCursors(storage);
  await cursors.advance(3, 1, "n1", enc("a"));
  await cursors.finish(3, 2, ["n1"]);
  await cursors.advance(4, 1, "n/odd", enc("b"));
  await cursors.finish(4, 7, ["n1"]);
  await storage.batch([{ store: "meta", key: enc("xfer/garbage"), value: enc("x") }]);
  await storage.batch([{ store: "meta", key: enc("identity"), value: enc("kept") }]);
  const resume = await cursors.load(4);
  assert.deepEqual([...resume.done], [7]);
  assert.deepEqual(
    [...resume.cursors].map(([id, k]) => [id, dec(k)]),
    [["1/n/odd", "b"]],
  );
  const left = [...storage.scan("meta")].map(([k]) => dec(k)).sort();
  assert.deepEqual(left, ["identity", "xfer/4/1/n/odd", "xfer/4/7"]);
  assert.equal(await cursors.clear(), 2);
  assert.deepEqual(
    [...storage.scan("meta")].map(([k]) => dec(k)),
    ["identity"],
  );
});
