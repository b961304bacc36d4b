import assert from "node:assert/strict";
import { test } from "node:test";
import { partitionOf } from "../../src/core/partition.js";
import { objectKey } from "../../src/storage/object-key.js";
import { SimCluster } from "./sim-cluster.js";
import { formed, until } from "./sim-wait.js";
import { bytes } from "./workload.js";

const PARTITIONS = 16;
const KEYS = 30;

test("3 nodes, N=3: a replica down during writes gets them from hints when it is back (no fallback, no anti-entropy)", async () => {
  const c = new SimCluster({
    seed: 14,
    partitions: PARTITIONS,
    n: 3,
    tombstoneGraceMs: 24 * 3600 * 1000,
    // Anti-entropy is as good as off: only hints can bring n3 the keys it missed.
    aaeIntervalMs: 3_600_000,
    syncDelayMs: [0, 1],
    verbose: false,
    print: () => undefined,
  });
  const n1 = c.addNode("n1", []);
  c.addNode("n2", [n1]);
  const n3 = c.addNode("n3", [n1]);
  await formed(c, 3);
  n3.crash();
  const coordinator = n1.serving?.coordinator;
  assert.ok(coordinator !== undefined);
  let acked = 0;
  const failures: string[] = [];
  for (let i = 0; i < KEYS; i++) {
    coordinator
      .put(
        bytes(`k${i}`),
        { value: bytes(`v${i}`), contentType: "text/plain", deleted: false, writtenAtMs: c.sim.nowMs() },
        [],
        { r: 2, w: 2, pr: 0, pw: 0, timeoutMs: 2000 },
      )
      .then(
        () => {
          acked += 1;
        },
        (error: unknown) => failures.push(String(error)),
      );
  }
  await until(c, "every write answered", () => acked + failures.length === KEYS, 10_000);
  assert.deepEqual(failures, [], "W=2 with two of three replicas up");
  assert.equal(acked, KEYS);
  // Wait for the writes still out to n3 to fail: then each coordinator holds a hint for n3.
  await until(c, "a hint for n3 per write", () => n1.storage.stats().stores.hints.entries === KEYS, 5000);

  const restartedAt = c.sim.nowMs();
  void n3.start();
  const held = (): number =>
    Array.from({ length: KEYS }, (_, i) => bytes(`k${i}`)).filter(
      (key) => n3.storage.get("objects", objectKey(partitionOf(key, PARTITIONS), key)) !== undefined,
    ).length;
  await until(c, `n3 holds all ${KEYS} keys (it holds ${held()})`, () => held() === KEYS, 10_000);
  assert.ok(c.sim.nowMs() - restartedAt <= 10_000);
  await until(
    c,
    "the delivered hints are deleted",
    () => n1.storage.stats().stores.hints.entries === 0,
    5000,
  );
  assert.deepEqual(c.problems, []);
});
