import assert from "node:assert/strict";
import { test } from "node:test";
import { systemClock } from "../../../src/clock/clock.js";
import type { ClusterView } from "../../../src/cluster/cluster-view.js";
import { Coordinator } from "../../../src/coordinator/coordinator.js";
import { LocalReplica } from "../../../src/coordinator/local-replica.js";
import type { ReplicaAccess } from "../../../src/coordinator/replica-access.js";
import type { RequestOptions } from "../../../src/coordinator/request-options.js";
import { conflictResolution } from "../../../src/core/conflict-mode.js";
import type { ClusterState } from "../../../src/core/membership/cluster-state.js";
import { type RingView, ringView } from "../../../src/core/ring/ring-view.js";
import type { Sibling, StoredObject } from "../../../src/core/stored-object.js";
import { NotOwnerError, QuorumError } from "../../../src/errors.js";
import { silentLogger } from "../../../src/log/logger.js";
import { NodeMetrics } from "../../../src/metrics/node-metrics.js";
import { MemoryEngine } from "../../../src/storage/memory-engine.js";

const key = new TextEncoder().encode("k");
const sibling: Sibling = {
  value: new TextEncoder().encode("v"),
  contentType: "text/plain",
  deleted: false,
  writtenAtMs: 1,
};
const options: RequestOptions = { r: 2, w: 2, pr: 0, pw: 0, timeoutMs: 5000 };

/** Rings of 4 partitions whose every partition has the same three home replicas (N=3). */
function ringOf(version: number, [x, y, z]: readonly [string, string, string]): RingView {
  return ringView([x, y, z, x], 3, version);
}

/**
 * A cluster as one coordinator sees it: its ring (replaced when it "learns" one) and replicas
 * that refuse (NotOwnerError at their own ring version) unless the newest ring makes them home.
 */
class FakeCluster implements ReplicaAccess {
  ring: RingView;
  readonly replicated: string[] = [];
  readonly hinted: string[] = [];
  readonly forwarded: string[] = [];
  readonly refusedBy: string[] = [];
  readonly learnedFrom: string[] = [];
  /** Home replicas that take a forwarded write and then fail its quorum (it may be applied there). */
  readonly failingAfterApply = new Set<string>();
  /** "node@version": the ring version each replicate carried. */
  readonly sentVersions: string[] = [];

  constructor(
    initial: RingView,
    /** The rings the cluster moves through; replicas judge by the last one. */
    private readonly rings: RingView[],
  ) {
    this.ring = initial;
  }

  private newest(): RingView {
    return this.rings[this.rings.length - 1] ?? this.ring;
  }

  private fence(nodeId: string): void {
    const newest = this.newest();
    if (!newest.preferenceList(0).slice(0, newest.n).includes(nodeId)) {
      this.refusedBy.push(nodeId);
      throw new NotOwnerError(0, newest.version);
    }
  }

  learn(from: string): Promise<void> {
    this.learnedFrom.push(from);
    // One gossip pull brings the next ring of the sequence (a ring moving while it is learned).
    const next = this.rings.find((r) => r.version > this.ring.version);
    if (next !== undefined) this.ring = next;
    return Promise.resolve();
  }

  view(): ClusterView {
    return {
      state: (): ClusterState => ({ members: [], ring: null }),
      member: () => undefined,
      status: () => "up",
      downForMs: () => 0,
      addressOf: () => undefined,
      ring: () => this.ring,
    };
  }

  async read(): Promise<StoredObject | undefined> {
    return undefined;
  }
  async replicate(
    nodeId: string,
    _partition: number,
    _key: Uint8Array,
    _object: StoredObject,
    _timeoutMs: number,
    ringVersion?: number,
  ): Promise<void> {
    this.sentVersions.push(`${nodeId}@${ringVersion}`);
    this.fence(nodeId);
    this.replicated.push(nodeId);
  }
  async hint(nodeId: string, target: string): Promise<void> {
    this.hinted.push(`${nodeId}->${target}`);
  }
  async forwardPut(nodeId: string): Promise<StoredObject> {
    this.fence(nodeId);
    if (this.failingAfterApply.has(nodeId)) {
      this.forwarded.push(`${nodeId} (failed)`);
      throw new QuorumError(2, 1, "write");
    }
    this.forwarded.push(nodeId);
    return { entries: [] };
  }
}

function coordinatorFor(
  self: string,
  cluster: FakeCluster,
  learn: boolean,
): { coordinator: Coordinator; reroutes: () => number } {
  const storage = new MemoryEngine();
  const replica = new LocalReplica(
    storage,
    {
      actor: `${self}@a`,
      siblingsMax: 100,
      siblingsWarn: 100,
      objectBytesMax: 1 << 20,
      conflicts: conflictResolution("causal", () => 0),
    },
    silentLogger(),
    new NodeMetrics(self, () => storage.stats(), { processMetrics: false }),
  );
  let reroutes = 0;
  const coordinator = new Coordinator({
    nodeId: self,
    replica,
    view: cluster.view(),
    access: cluster,
    clock: systemClock,
    logger: silentLogger(),
    onReadRepair: () => undefined,
    learnRing: learn ? (from) => cluster.learn(from) : undefined,
    reroutesMax: 2,
    onReroute: () => {
      reroutes += 1;
    },
  });
  return { coordinator, reroutes: () => reroutes };
}

test("a coordinator whose replicas refuse under a newer ring learns it and replicates to the new home replicas", async () => {
  const cluster = new FakeCluster(ringOf(5, ["a", "b", "c"]), [ringOf(7, ["a", "d", "e"])]);
  const { coordinator, reroutes } = coordinatorFor("a", cluster, true);
  await coordinator.put(key, sibling, [], options);
  assert.deepEqual(cluster.refusedBy.sort(), ["b", "c"]);
  assert.deepEqual(cluster.learnedFrom.length > 0, true);
  assert.equal(cluster.ring.version, 7, "the coordinator now holds the newer ring");
  assert.deepEqual(cluster.replicated.sort(), ["d", "e"], "the write reached the new home replicas");
  assert.equal(reroutes(), 1);
  assert.deepEqual(cluster.hinted, [], "no hint is left for a replica that refused");
  assert.deepEqual(
    cluster.sentVersions.sort(),
    ["b@5", "c@5", "d@7", "e@7"],
    "each replicate carries the version of the ring its replica was chosen from",
  );
});

test("refusals never count as acks: without a way to learn the ring the write fails", async () => {
  const cluster = new FakeCluster(ringOf(5, ["a", "b", "c"]), [ringOf(7, ["a", "d", "e"])]);
  const { coordinator } = coordinatorFor("a", cluster, false);
  await assert.rejects(coordinator.put(key, sibling, [], options), (e: unknown) => {
    assert.ok(e instanceof QuorumError);
    assert.equal(e.acked, 1, "only the coordinator's own durable copy acknowledged");
    return true;
  });
  assert.deepEqual(cluster.replicated, []);
  assert.deepEqual(cluster.hinted, []);
});

test("a forwarded write refused by every home replica is forwarded again under the newer ring", async () => {
  const cluster = new FakeCluster(ringOf(5, ["a", "b", "c"]), [ringOf(8, ["d", "e", "f"])]);
  const { coordinator, reroutes } = coordinatorFor("x", cluster, true);
  await coordinator.put(key, sibling, [], options);
  assert.deepEqual(cluster.refusedBy.sort(), ["a", "b", "c"]);
  assert.equal(cluster.forwarded.length, 1);
  assert.ok(["d", "e", "f"].includes(cluster.forwarded[0] ?? ""), "a new home replica coordinates it");
  assert.equal(reroutes(), 1);
});

test("a forwarded write that lands on this node after learning the newer ring is coordinated here", async () => {
  const cluster = new FakeCluster(ringOf(5, ["a", "b", "c"]), [ringOf(6, ["x", "d", "e"])]);
  const { coordinator } = coordinatorFor("x", cluster, true);
  const object = await coordinator.put(key, sibling, [], options);
  assert.equal(object.entries[0]?.actor, "x@a", "the dot is this node's");
  assert.deepEqual(cluster.replicated.sort(), ["d", "e"]);
});

test("re-routes are bounded: a ring that keeps moving fails the write after reroutesMax tries", async () => {
  // Each pull brings a ring one version on, and every replica judges by a still newer one.
  const rings = [6, 7, 8, 9].map((v) => ringOf(v, ["b", "c", "d"]));
  rings.push(ringOf(10, ["p", "q", "r"]));
  const cluster = new FakeCluster(ringOf(5, ["a", "b", "c"]), rings);
  const { coordinator, reroutes } = coordinatorFor("x", cluster, true);
  // Refused to the end: a NotOwnerError (503 to the client), nothing applied anywhere.
  await assert.rejects(coordinator.put(key, sibling, [], options), NotOwnerError);
  assert.equal(reroutes(), 2);
  assert.equal(cluster.learnedFrom.length, 2, "one pull per re-route, none once the bound is reached");
  assert.equal(cluster.refusedBy.length, 9, "three rounds of three home replicas, each refusing");
  assert.deepEqual(cluster.forwarded, []);
});

test("a forwarded write that one replica refused and another may have applied is not forwarded again", async () => {
  // Under the newest ring, b alone of a, b, c is still a home replica; it takes the write and
  // fails its quorum: routing the write again could apply it twice (a duplicate sibling).
  const cluster = new FakeCluster(ringOf(5, ["a", "b", "c"]), [ringOf(7, ["b", "d", "e"])]);
  cluster.failingAfterApply.add("b");
  const { coordinator, reroutes } = coordinatorFor("x", cluster, true);
  await assert.rejects(coordinator.put(key, sibling, [], options), QuorumError);
  assert.equal(reroutes(), 0);
  assert.deepEqual(cluster.forwarded, ["b (failed)"]);
});
