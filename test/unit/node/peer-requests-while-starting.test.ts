import assert from "node:assert/strict";
import { test } from "node:test";
import { systemClock } from "../../../src/clock/clock.js";
import { partitionOf } from "../../../src/core/partition.js";
import { RemoteError } from "../../../src/net/errors.js";
import { MemoryNetwork } from "../../../src/net/memory-transport.js";
import type { Message } from "../../../src/net/transport.js";
import { SeededRandom } from "../../../src/random/seeded-random.js";
import { MemoryEngine } from "../../../src/storage/memory-engine.js";
import { memoryNode } from "../../support/memory-node.js";

const PARTITIONS = 8;
const key = new TextEncoder().encode("k");
const kvRead: Message = { type: "kv_read", partition: partitionOf(key, PARTITIONS), key };

test("a kv request that arrives while the node is still joining is refused as not ready, then served", async () => {
  const network = new MemoryNetwork({ clock: systemClock, random: new SeededRandom(1) });
  // The seed holds its answer to join_info until the test has asked the joiner something.
  let answerJoin: () => void = () => {};
  const joinAsked = new Promise<void>((resolve) => {
    answerJoin = resolve;
  });
  let joinRequests = 0;
  const seed = network.transport("seed", "seed:7000");
  await seed.start({
    onRequest: async (_from, message) => {
      if (message.type !== "join_info") throw new Error("the fake seed only answers join_info");
      joinRequests += 1;
      await joinAsked;
      return {
        type: "join_info_ok",
        settings: { n: 1, r: 1, w: 1, partitions: PARTITIONS, conflictMode: "causal" },
        state: {
          members: [
            {
              id: "seed",
              listen: "seed:7000",
              http: "127.0.0.1:1",
              state: "active",
              stateVersion: 1,
              generation: 1,
              heartbeat: 1,
              load: { keys: 0, hints: 0, diskBytes: 0 },
              transfer: { version: 0, remaining: 0, keys: 0, bytes: 0 },
              ringVersion: 1,
              infoVersion: 0,
            },
          ],
          ring: { version: 1, claimant: "seed", owners: Array(PARTITIONS).fill("seed"), next: null },
        },
      };
    },
    onMessage: () => undefined,
  });
  const node = memoryNode(network, "n1", new MemoryEngine(), ["seed:7000"], {});
  const starting = node.start();
  try {
    // The node's transport is up (it has asked the seed to join) but its services are not built.
    while (joinRequests === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(node.ready, false);
    await assert.rejects(
      seed.request("n1:7000", kvRead, { timeoutMs: 1000 }),
      (error: unknown) =>
        error instanceof RemoteError &&
        error.remoteCode === "not_ready" &&
        /starting/.test(error.remoteMessage),
      "a known message type before the handlers exist is 'not ready' (retry), not an unknown type",
    );
    await assert.rejects(
      seed.request("n1:7000", { type: "no_such_message" }, { timeoutMs: 1000 }),
      (error: unknown) => error instanceof RemoteError && error.remoteCode === "unknown_message",
    );
    answerJoin();
    await starting;
    assert.equal(node.ready, true);
    const reply = await seed.request("n1:7000", kvRead, { timeoutMs: 1000 });
    assert.deepEqual(reply, { type: "kv_read_ok", object: null });
  } finally {
    answerJoin();
    await starting.catch(() => undefined);
    await node.stop();
    await seed.stop();
  }
});
