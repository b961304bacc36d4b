import assert from "node:assert/strict";
import { test } from "node:test";
import { systemClock } from "../../src/clock/clock.js";
import { MemoryNetwork } from "../../src/net/memory-transport.js";
import type { RingkvNode } from "../../src/node.js";
import { SeededRandom } from "../../src/random/seeded-random.js";
import { MemoryEngine } from "../../src/storage/memory-engine.js";
import { FailingCommitEngine } from "../support/failing-commit-engine.js";
import { memoryNode } from "../support/memory-node.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const forwarded = async (node: RingkvNode): Promise<number> =>
  (await node.metrics.writesForwarded.get()).values[0]?.value ?? 0;

test("a forwarded write whose coordinator fails its commit reaches the client as 503 storage_unavailable", async () => {
  const network = new MemoryNetwork({ clock: systemClock, random: new SeededRandom(7) });
  const failing = new FailingCommitEngine();
  // N=1 on two nodes: a key owned by n2 is always coordinated by n2, whichever node it reaches.
  const n1 = memoryNode(network, "n1", new MemoryEngine(), [], { n: 1, r: 1, w: 1, partitions: 8 });
  const n2 = memoryNode(network, "n2", failing, ["n1:7000"], {});
  try {
    await n1.start();
    await n2.start();
    const deadline = Date.now() + 30_000;
    const settled = () => {
      const ring = n1.clusterState.ring;
      return (
        ring !== null && ring.next === null && ring.owners.includes("n2") && n1.ring().owners.length === 8
      );
    };
    while (!settled()) {
      assert.ok(Date.now() < deadline, `n2 never took partitions: ${JSON.stringify(n1.clusterState.ring)}`);
      await sleep(50);
    }
    let key = "";
    for (let i = 0; key === ""; i++) {
      const candidate = `key-${i}`;
      if (n1.coordinator.homeReplicas(new TextEncoder().encode(candidate))[0] === "n2") key = candidate;
    }
    const url = `http://127.0.0.1:${n1.httpAddress.port}/kv/${key}`;
    const ok = await fetch(url, { method: "PUT", body: "first" });
    assert.equal(ok.status, 204, "a write forwarded to a healthy coordinator succeeds");
    const forwardedBefore = await forwarded(n1);
    failing.failNext = true;
    const failed = await fetch(url, { method: "PUT", body: "second" });
    assert.equal(failing.failed, 1, "the coordinator's commit failed as staged");
    assert.equal(failed.status, 503, "a write whose local commit failed did not reach w durable acks");
    // From now on n2 refuses to coordinate (StorageFailedError) until it restarts; a client that
    // reaches it through n1 must see that condition, not an internal error.
    const refused = await fetch(url, { method: "PUT", body: "third" });
    const body = (await refused.json()) as { error: string; message: string };
    assert.equal(await forwarded(n1), forwardedBefore + 2, "both writes were forwarded to n2");
    assert.equal(refused.status, 503, `status ${refused.status}: ${JSON.stringify(body)}`);
    assert.equal(body.error, "storage_unavailable");
    assert.match(body.message, /coordinates no writes until it restarts/);
  } finally {
    await n2.stop();
    await n1.stop();
  }
});
