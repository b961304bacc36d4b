import assert from "node:assert/strict";
import { test } from "node:test";
import type { ClusterView } from "../../../src/cluster/cluster-view.js";
import { Coordinator } from "../../../src/coordinator/coordinator.js";
import { LocalReplica } from "../../../src/coordinator/local-replica.js";
import type { ReplicaAccess } from "../../../src/coordinator/replica-access.js";
import type { RequestOptions } from "../../../src/coordinator/request-options.js";
import { emptyDvvSet, update } from "../../../src/core/causality/index.js";
import { conflictResolution } from "../../../src/core/conflict-mode.js";
import type { LivenessStatus } from "../../../src/core/membership/failure-detector.js";
import { ringView } from "../../../src/core/ring/ring-view.js";
import type { Sibling, StoredObject } from "../../../src/core/stored-object.js";
import { silentLogger } from "../../../src/log/logger.js";
import { NodeMetrics } from "../../../src/metrics/node-metrics.js";
import { MemoryEngine } from "../../../src/storage/memory-engine.js";
import { ManualClock } from "../../net/fake-clocks.js";

const key = new TextEncoder().encode("k");
const sibling: Sibling = {
  value: new TextEncoder().encode("v"),
  contentType: "text/plain",
  deleted: false,
  writtenAtMs: 1,
};
const stored: StoredObject = update(emptyDvvSet<Sibling>(), [], "b@1", sibling);
const read2: RequestOptions = { r: 2, w: 2, pr: 0, pw: 0, timeoutMs: 5000 };
const SPECULATIVE_MS = 20;

/**
 * Replicas b, c, d (N=3 of every partition, this coordinator is x: not a home replica) whose
 * reads answer when the test releases them; each read is recorded.
 */
class Replicas implements ReplicaAccess {
  readonly asked: string[] = [];
  readonly pending = new Map<string, { answer: (o: StoredObject | undefined) => void; fail: () => void }>();
  read(
    nodeId: string,
    _p: number,
    _k: Uint8Array,
    _t: number,
    hintFor?: string,
  ): Promise<StoredObject | undefined> {
    this.asked.push(hintFor === undefined ? nodeId : `${nodeId} for ${hintFor}`);
    return new Promise((answer, reject) => {
      this.pending.set(nodeId, { answer, fail: () => reject(new Error(`${nodeId} failed`)) });
    });
  }
  replicate = (): Promise<void> => Promise.resolve();
  hint = (): Promise<void> => Promise.resolve();
  forwardPut = (): Promise<StoredObject> => Promise.reject(new Error("unused"));
  answer(id: string, object: StoredObject | undefined): void {
    const p = this.pending.get(id);
    assert.ok(p !== undefined, `${id} was asked`);
    this.pending.delete(id);
    p.answer(object);
  }
  fail(id: string): void {
    const p = this.pending.get(id);
    assert.ok(p !== undefined, `${id} was asked`);
    this.pending.delete(id);
    p.fail();
  }
}

function setup(status: Record<string, LivenessStatus> = {}, speculativeRetryMs = SPECULATIVE_MS) {
  const clock = new ManualClock();
  const replicas = new Replicas();
  const storage = new MemoryEngine();
  const replica = new LocalReplica(
    storage,
    {
      actor: "x@a",
      siblingsMax: 100,
      siblingsWarn: 100,
      objectBytesMax: 1 << 20,
      conflicts: conflictResolution("causal", () => 0),
    },
    silentLogger(),
    new NodeMetrics("x", () => storage.stats(), { processMetrics: false }),
  );
  const view: ClusterView = {
    state: () => ({ members: [], ring: null }),
    member: () => undefined,
    status: (id) => status[id] ?? "up",
    downForMs: () => 0,
    addressOf: () => undefined,
    ring: () => ringView(["b", "c", "d", "b"], 3, 1),
  };
  let speculative = 0;
  const coordinator = new Coordinator({
    nodeId: "x",
    replica,
    view,
    access: replicas,
    clock,
    logger: silentLogger(),
    onReadRepair: () => undefined,
    speculativeRetryMs,
    onSpeculativeRead: () => {
      speculative += 1;
    },
  });
  return { clock, replicas, coordinator, speculative: () => speculative };
}

test("a read at r=2 asks two home replicas; answered in time, the third is never asked", async () => {
  const s = setup();
  const read = s.coordinator.get(key, read2);
  await s.clock.advance(0);
  assert.deepEqual(s.replicas.asked, ["b", "c"], "the first two in preference order");
  s.replicas.answer("b", stored);
  s.replicas.answer("c", stored);
  const got = await read;
  assert.ok(got !== undefined);
  await s.clock.advance(SPECULATIVE_MS * 5);
  assert.deepEqual(s.replicas.asked, ["b", "c"], "d was not asked, not even later");
  assert.equal(s.speculative(), 0);
  assert.equal(s.clock.pendingTimers, 0, "the speculative timer was cleared");
});

test("a slow replica: after the speculative delay the third is asked and its answer completes the read", async () => {
  const s = setup();
  const read = s.coordinator.get(key, read2);
  await s.clock.advance(0);
  s.replicas.answer("b", stored);
  await s.clock.advance(SPECULATIVE_MS - 1);
  assert.deepEqual(s.replicas.asked, ["b", "c"], "not before the delay");
  await s.clock.advance(1);
  assert.deepEqual(s.replicas.asked, ["b", "c", "d"]);
  s.replicas.answer("d", stored);
  assert.ok((await read) !== undefined);
  assert.equal(s.speculative(), 1);
  s.replicas.answer("c", stored);
});

test("a failing first replica brings the third in at once", async () => {
  const s = setup();
  const read = s.coordinator.get(key, read2);
  await s.clock.advance(0);
  s.replicas.fail("c");
  await s.clock.advance(0);
  assert.ok(s.replicas.asked.includes("d"), `asked: ${s.replicas.asked}`);
  s.replicas.answer("b", stored);
  s.replicas.answer("d", stored);
  assert.ok((await read) !== undefined);
  assert.equal(s.speculative(), 1);
});

test("'not found' from the first two is not final: the third is asked and its copy is the answer", async () => {
  const s = setup();
  const read = s.coordinator.get(key, read2);
  await s.clock.advance(0);
  s.replicas.answer("b", undefined);
  s.replicas.answer("c", undefined);
  await s.clock.advance(0);
  assert.deepEqual(s.replicas.asked, ["b", "c", "d"]);
  s.replicas.answer("d", stored);
  const got = await read;
  assert.ok(got !== undefined, "the one replica holding the key is heard");
  assert.equal(s.speculative(), 1);
});

test("replicas the failure detector sees down are asked last; 0 asks all three at once", async () => {
  const s = setup({ b: "down" });
  const read = s.coordinator.get(key, read2);
  await s.clock.advance(0);
  assert.deepEqual(s.replicas.asked, ["c", "d"], "the two that are up");
  s.replicas.answer("c", stored);
  s.replicas.answer("d", stored);
  await read;
  const all = setup({}, 0);
  const again = all.coordinator.get(key, read2);
  await all.clock.advance(0);
  assert.deepEqual(all.replicas.asked, ["b", "c", "d"]);
  for (const id of ["b", "c", "d"]) all.replicas.answer(id, stored);
  await again;
  assert.equal(all.speculative(), 0);
});
