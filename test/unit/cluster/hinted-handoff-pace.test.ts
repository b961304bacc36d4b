import assert from "node:assert/strict";
import { test } from "node:test";
import { HintedHandoff } from "../../../src/cluster/hinted-handoff.js";
import { HintStore } from "../../../src/coordinator/hint-store.js";
import type { ReplicaAccess } from "../../../src/coordinator/replica-access.js";
import { emptyDvvSet, update } from "../../../src/core/causality/index.js";
import type { LivenessStatus } from "../../../src/core/membership/failure-detector.js";
import type { Sibling } from "../../../src/core/stored-object.js";
import { silentLogger } from "../../../src/log/logger.js";
import { MemoryEngine } from "../../../src/storage/memory-engine.js";
import { ManualClock } from "../../net/fake-clocks.js";

const key = (s: string): Uint8Array => new TextEncoder().encode(s);
const sibling: Sibling = { value: key("v"), contentType: "text/plain", deleted: false, writtenAtMs: 1 };

function setup() {
  const clock = new ManualClock();
  const delivered: string[] = [];
  let status: LivenessStatus = "down";
  const access: ReplicaAccess = {
    read: () => Promise.reject(new Error("unused")),
    replicate: async (nodeId) => {
      delivered.push(nodeId);
    },
    hint: () => Promise.reject(new Error("unused")),
    forwardPut: () => Promise.reject(new Error("unused")),
  };
  let handoff: HintedHandoff | undefined;
  const hints = new HintStore(new MemoryEngine(), {
    hintsPerTargetMax: 100,
    nowMs: () => clock.nowMs(),
    onStored: () => handoff?.hintStored(),
  });
  handoff = new HintedHandoff(
    {
      hints,
      access,
      view: {
        state: () => ({ members: [], ring: null }),
        member: (id) => ({
          id,
          listen: `${id}:1`,
          http: `${id}:2`,
          state: "active",
          stateVersion: 1,
          generation: 1,
          heartbeat: 1,
          load: { keys: 0, hints: 0, diskBytes: 0 },
          transfer: { version: 0, remaining: 0, keys: 0, bytes: 0 },
          ringVersion: 1,
          infoVersion: 1,
        }),
        status: () => status,
        downForMs: () => 0,
        addressOf: () => undefined,
        ring: () => undefined,
      },
      clock,
      logger: silentLogger(),
      onDelivered: () => {},
      onExpired: () => {},
    },
    {
      intervalMs: 100,
      idleIntervalMaxMs: 5000,
      batchKeysMax: 10,
      concurrencyPerTarget: 1,
      targetsConcurrentMax: 1,
      requestTimeoutMs: 1000,
      hintWindowMs: 3_600_000,
      expireKeysPerRoundMax: 10,
    },
  );
  return { clock, hints, handoff, delivered, setStatus: (s: LivenessStatus) => (status = s) };
}

test("handoff backs off while no hint is held and comes back to pace when one is stored", async () => {
  const { clock, hints, handoff, setStatus } = setup();
  handoff.start();
  await clock.advance(30_000);
  assert.equal(handoff.currentDelayMs, 5000, "no hint held: backed off to the idle maximum");
  setStatus("down");
  await hints.add("n2", 0, key("k"), update(emptyDvvSet<Sibling>(), [], "n1@a", sibling));
  assert.equal(handoff.currentDelayMs, 100, "a stored hint brings the fast pace back");
  await clock.advance(10_000);
  assert.equal(handoff.currentDelayMs, 100, "while a hint is held the pace stays fast, target down or not");
  handoff.stop();
});

test("a hint stored while handoff was backed off is delivered within the fast interval of its target coming up", async () => {
  const { clock, hints, handoff, delivered, setStatus } = setup();
  handoff.start();
  await clock.advance(30_000);
  await hints.add("n2", 0, key("k"), update(emptyDvvSet<Sibling>(), [], "n1@a", sibling));
  await clock.advance(1000);
  assert.deepEqual(delivered, [], "the target is down: nothing delivered");
  setStatus("up");
  await clock.advance(100);
  assert.deepEqual(delivered, ["n2"], "delivered within one fast interval of the target being up");
  assert.equal(hints.total(), 0);
  handoff.stop();
});
