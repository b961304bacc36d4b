import assert from "node:assert/strict";
import { test } from "node:test";
import { partitionOf } from "../../src/core/partition.js";
import { objectKey } from "../../src/storage/object-key.js";
import { SimCluster } from "./sim-cluster.js";
import { formed, until } from "./sim-wait.js";
import { bytes } from "./workload.js";

const PARTITIONS = 16;
const KEYS = 10;

test("an object that does not decode is skipped by anti-entropy; the other keys of its partition are still repaired", async () => {
  const c = new SimCluster({
    seed: 5,
    partitions: PARTITIONS,
    n: 3,
    tombstoneGraceMs: 24 * 3600 * 1000,
    aaeIntervalMs: 200,
    syncDelayMs: [0, 1],
    verbose: false,
    print: () => undefined,
    hintsPerTargetMax: 0,
  });
  const n1 = c.addNode("n1", []);
  const n2 = c.addNode("n2", [n1]);
  const n3 = c.addNode("n3", [n1]);
  await formed(c, 3);
  n3.crash();
  // Ten keys of one partition, so the corrupt one sits in the same exchanges as the good ones.
  const keys: Uint8Array[] = [];
  for (let i = 0; keys.length < KEYS; i++) {
    const key = bytes(`same-${i}`);
    if (partitionOf(key, PARTITIONS) === 3) keys.push(key);
  }
  let acked = 0;
  for (const key of keys) {
    void n1.serving?.coordinator
      .put(
        key,
        { value: bytes("v"), contentType: "text/plain", deleted: false, writtenAtMs: c.sim.nowMs() },
        [],
        {
          r: 2,
          w: 2,
          pr: 0,
          pw: 0,
          timeoutMs: 2000,
        },
      )
      .then(() => {
        acked += 1;
      });
  }
  await until(
    c,
    () => `all writes acknowledged (${acked})`,
    () => acked === KEYS,
    10_000,
  );
  // The first key's object is damaged on both replicas that hold it.
  const corrupt = objectKey(3, keys[0] as Uint8Array);
  for (const node of [n1, n2])
    void node.storage.batch([{ store: "objects", key: corrupt, value: new Uint8Array([1, 2, 3]) }]);
  await c.sim.runFor(100);
  void n3.start();
  const held = (): number =>
    keys.slice(1).filter((key) => n3.storage.get("objects", objectKey(3, key)) !== undefined).length;
  await until(
    c,
    () => `n3 holds the ${KEYS - 1} good keys (it holds ${held()})`,
    () => held() === KEYS - 1,
    10_000,
  );
  assert.equal(n3.storage.get("objects", corrupt), undefined, "the corrupt object is never copied");
});
