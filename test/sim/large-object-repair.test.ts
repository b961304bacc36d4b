import assert from "node:assert/strict";
import { test } from "node:test";
import { partitionOf } from "../../src/core/partition.js";
import { decodeStoredObject, liveSiblings } from "../../src/core/stored-object.js";
import { ObjectTooLargeError } from "../../src/errors.js";
import { objectKey } from "../../src/storage/object-key.js";
import { SimCluster } from "./sim-cluster.js";
import { formed, until } from "./sim-wait.js";
import { bytes } from "./workload.js";

const PARTITIONS = 16;
const MIB = 1024 * 1024;

/**
 * The largest object the limit allows (blind 1 MiB writes until the next would pass 8 MiB)
 * reaches a replica that was down while it was written: by hint, and with hints off by
 * anti-entropy. A message carrying it must fit the inter-node frame.
 */
for (const variant of [
  { name: "hints", hintsPerTargetMax: 1_000_000, aaeIntervalMs: 3_600_000 },
  { name: "anti-entropy", hintsPerTargetMax: 0, aaeIntervalMs: 200 },
]) {
  test(`an object at --max-object-bytes reaches a replica that was down, by ${variant.name}`, async () => {
    const c = new SimCluster({
      seed: 9,
      partitions: PARTITIONS,
      n: 3,
      tombstoneGraceMs: 24 * 3600 * 1000,
      aaeIntervalMs: variant.aaeIntervalMs,
      syncDelayMs: [0, 1],
      verbose: false,
      print: () => undefined,
      hintsPerTargetMax: variant.hintsPerTargetMax,
    });
    const n1 = c.addNode("n1", []);
    c.addNode("n2", [n1]);
    const n3 = c.addNode("n3", [n1]);
    await formed(c, 3);
    n3.crash();
    const key = bytes("heavy");
    let accepted = 0;
    let refused: unknown;
    for (let i = 0; refused === undefined && i < 16; i++) {
      let settled = false;
      n1.serving?.coordinator
        .put(
          key,
          {
            value: new Uint8Array(MIB).fill(i),
            contentType: "application/octet-stream",
            deleted: false,
            writtenAtMs: c.sim.nowMs(),
          },
          [],
          {
            r: 2,
            w: 2,
            pr: 0,
            pw: 0,
            timeoutMs: 5000,
          },
        )
        .then(
          () => {
            accepted += 1;
            settled = true;
          },
          (error: unknown) => {
            refused = error;
            settled = true;
          },
        );
      await until(c, `write ${i} answered`, () => settled, 10_000);
    }
    assert.ok(refused instanceof ObjectTooLargeError, String(refused));
    assert.ok(accepted >= 6, `${accepted} siblings of 1 MiB accepted`);
    void n3.start();
    const storageKey = objectKey(partitionOf(key, PARTITIONS), key);
    const siblingsOnN3 = (): number => {
      const stored = n3.storage.get("objects", storageKey);
      return stored === undefined ? 0 : liveSiblings(decodeStoredObject(stored)).length;
    };
    await until(
      c,
      () => `n3 holds the ${accepted} siblings (it holds ${siblingsOnN3()})`,
      () => siblingsOnN3() === accepted,
      20_000,
    );
    assert.ok((n3.storage.get("objects", storageKey)?.length ?? 0) > 6 * MIB);
    assert.deepEqual(c.problems, []);
  });
}
