import assert from "node:assert/strict";
import { test } from "node:test";
import { partitionOf } from "../../src/core/partition.js";
import { homeOf } from "../../src/core/ring/index.js";
import { SimCluster } from "./sim-cluster.js";
import { bytes, liveValues } from "./workload.js";

const PARTITIONS = 16;

function cluster(seed: number): SimCluster {
  return new SimCluster({
    seed,
    partitions: PARTITIONS,
    n: 3,
    tombstoneGraceMs: 24 * 3600 * 1000,
    aaeIntervalMs: 100,
    syncDelayMs: [0, 0],
    verbose: false,
    print: () => undefined,
  });
}

/** Runs until `done` holds, failing the test after `withinMs` of virtual time. */
async function until(c: SimCluster, what: string, done: () => boolean, withinMs: number): Promise<void> {
  const reached = await c.sim.runWhile(() => !done(), c.sim.nowMs() + withinMs);
  assert.ok(reached, `${what} within ${withinMs} ms; problems: ${c.problems.join("; ")}`);
}

test("a leaving node cut off when the ring change is planned still hands over a write only it holds (sim seed 65)", async () => {
  const c = cluster(65);
  const first = c.addNode("n1", []);
  for (const id of ["n2", "n3", "n4"]) c.addNode(id, [first]);
  const settled = (): boolean =>
    c.serving.length === 4 &&
    c.serving.every((n) => {
      const s = n.serving?.clusterState;
      return s?.ring?.next === null && s.members.every((m) => m.state === "active");
    });
  await until(c, "the cluster formed", settled, 30_000);
  const leaver = c.node("n4");
  const owners = leaver.serving?.clusterState.ring?.owners ?? [];
  // A key n4 is a home replica of: n4 coordinates it, and with W=1 it alone acknowledges it.
  const key = ["a", "b", "c", "d", "e", "f", "g", "h"].find((k) =>
    homeOf(owners, partitionOf(bytes(k), PARTITIONS), 3).includes("n4"),
  );
  assert.ok(key !== undefined);

  // Everything in the simulation moves only while the clock runs: never await it directly.
  let leaving = false;
  void leaver.leave().then((ok) => {
    leaving = ok;
  });
  await until(c, "n4 is leaving", () => leaving, 5000);
  // Cut n4 off the moment the claimant plans the change, before n4 hears of it: n4 then takes a
  // write it does not copy to the incoming owners, and they cannot read it from n4.
  const claimant = c.node("n1");
  await until(
    c,
    "the claimant planned n4 out",
    () => claimant.serving?.clusterState.ring?.next != null,
    10_000,
  );
  const others = c.members.filter((n) => n !== leaver).map((n) => n.address);
  c.network.partition([leaver.address], others);
  const node = leaver.serving;
  assert.ok(
    node !== undefined && node.clusterState.ring?.next === null,
    "n4 does not know the pending ring yet",
  );
  let acked = false;
  node.coordinator
    .put(
      bytes(key),
      { value: bytes("only-on-n4"), contentType: "text/plain", deleted: false, writtenAtMs: c.sim.nowMs() },
      [],
      { r: 1, w: 1, pr: 0, pw: 0, timeoutMs: 2000 },
    )
    .then(
      () => {
        acked = true;
      },
      () => undefined,
    );
  await until(c, "the W=1 write was acknowledged", () => acked, 5000);
  // The others go on for a while: without the fix they finish the transfer without n4 and drop it.
  await c.sim.runFor(10_000);
  c.network.heal();
  await until(c, "n4 left and stopped", () => leaver.isGone, 60_000);
  // Anti-entropy and read repair settle the remaining replicas.
  await c.sim.runFor(10_000);
  const reader = c.serving[0]?.serving;
  assert.ok(reader !== undefined);
  let values: string[] | undefined;
  reader.coordinator.get(bytes(key), { r: 3, w: 3, pr: 0, pw: 0, timeoutMs: 2000 }).then(
    (object) => {
      values = liveValues(object);
    },
    () => undefined,
  );
  await until(c, "a read at R=3", () => values !== undefined, 5000);
  assert.deepEqual(values, ["only-on-n4"], "the write acknowledged by n4 alone survived its departure");
  assert.deepEqual(c.problems, []);
});

test("the claimant leaving the cluster itself departs only once the others know it left (sim seed 39)", async () => {
  const c = cluster(39);
  const first = c.addNode("n1", []);
  for (const id of ["n2", "n3", "n4", "n5"]) c.addNode(id, [first]);
  const settled = (nodes: number): boolean =>
    c.serving.length === nodes &&
    c.serving.every((n) => {
      const s = n.serving?.clusterState;
      return s?.ring?.next === null && s.members.every((m) => m.state === "active" || m.state === "left");
    });
  await until(c, "the cluster formed", () => settled(5), 30_000);
  // n1, the lowest id, is the claimant: it plans its own departure and, once the others hold its
  // partitions, marks itself left in the final ring. If it stopped right then, nobody would learn
  // it: the others would keep it as a leaving member forever and plan the ring again without it.
  let leaving = false;
  void first.leave().then((ok) => {
    leaving = ok;
  });
  await until(c, "n1 is leaving", () => leaving, 5000);
  await until(c, "n1 left and stopped", () => first.isGone, 30_000);
  for (const n of c.serving) {
    const view = n.serving?.clusterState;
    assert.equal(
      view?.members.find((m) => m.id === "n1")?.state,
      "left",
      `${n.id} knows n1 left (it has ring v${view?.ring?.version})`,
    );
  }
  // A node joining afterwards is folded in: no ring change waits for n1.
  c.addNode("n6", [c.node("n2")]);
  await until(c, "n6 joined", () => settled(5) && c.serving.some((n) => n.id === "n6"), 30_000);
  assert.deepEqual(c.problems, []);
});
