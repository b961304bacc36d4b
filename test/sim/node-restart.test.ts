import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultClusterSettings, defaultNodeOptions } from "../../src/config/node-options.js";
import { type ClusterState, NO_LOAD, NO_TRANSFER } from "../../src/core/membership/cluster-state.js";
import { claim } from "../../src/core/ring/index.js";
import { silentLogger } from "../../src/log/logger.js";
import { MemoryNetwork } from "../../src/net/memory-transport.js";
import { RingkvNode } from "../../src/node.js";
import { NodeMeta } from "../../src/node-meta.js";
import { SeededRandom } from "../../src/random/seeded-random.js";
import { MemoryEngine } from "../../src/storage/memory-engine.js";
import { SimClock } from "./sim-clock.js";

test("a node restarted after it left the cluster departs again (sim seed 102)", async () => {
  // The node had learnt it was left and persisted that, then crashed before it departed. On
  // restart no change of state ever comes, so it must check its stored state by itself.
  const sim = new SimClock((error) => {
    throw error;
  });
  const random = new SeededRandom(1);
  const network = new MemoryNetwork({ clock: sim, random });
  const settings = { ...defaultClusterSettings, n: 1, r: 1, w: 1, partitions: 8 };
  const record = (id: string, state: "active" | "left") => ({
    id,
    listen: `${id}:7000`,
    http: `${id}:8000`,
    state,
    stateVersion: 3,
    generation: 1,
    heartbeat: 5,
    load: NO_LOAD,
    transfer: NO_TRANSFER,
    ringVersion: 4,
    infoVersion: 0,
  });
  const state: ClusterState = {
    members: [record("n1", "active"), record("n2", "left")],
    ring: { version: 4, claimant: "n1", owners: claim(undefined, ["n1"], 8, 1), next: null },
  };
  /** A node whose data directory already holds the cluster's settings and `state`. */
  const restarted = async (id: string): Promise<RingkvNode> => {
    const storage = new MemoryEngine();
    const meta = new NodeMeta(storage);
    await meta.identity(id, random, 0);
    await meta.storeSettings(settings);
    await meta.storeClusterState(state);
    return new RingkvNode(
      defaultNodeOptions({
        id,
        clusterName: "sim",
        listen: { host: id, port: 7000 },
        http: { host: id, port: 8000 },
        dataDir: `/sim/${id}`,
        logLevel: "silent",
        tombstones: { graceMs: 60_000 },
        handoff: { hintWindowMs: 30_000 },
      }),
      {
        clock: sim,
        random,
        storage,
        transport: network.transport(id, `${id}:7000`),
        logger: silentLogger(),
        httpServer: false,
        processMetrics: false,
      },
    );
  };
  const peer = await restarted("n1");
  const node = await restarted("n2");
  let departed = false;
  void node.departed.then(() => {
    departed = true;
  });
  void peer.start();
  void node.start();
  // Well within the 60 s a departing node waits at most for a peer to learn it left.
  await sim.runWhile(() => !departed, 5000);
  assert.equal(departed, true, "the restarted node reports that it has left");
  const stopped = Promise.all([node.stop(), peer.stop()]);
  await sim.runFor(1000);
  await stopped;
});
