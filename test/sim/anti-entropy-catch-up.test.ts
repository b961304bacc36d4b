import assert from "node:assert/strict";
import { test } from "node:test";
import { partitionOf } from "../../src/core/partition.js";
import { defaultRepairWindowOptions } from "../../src/metrics/count-window.js";
import { objectKey } from "../../src/storage/object-key.js";
import { SimCluster } from "./sim-cluster.js";
import type { SimNode } from "./sim-node.js";
import { formed, until } from "./sim-wait.js";
import { bytes } from "./workload.js";

const PARTITIONS = 256;
const KEYS = 300;

const keys = Array.from({ length: KEYS }, (_, i) => bytes(`key-${i}`));
const held = (node: SimNode): number =>
  keys.filter(
    (key) => node.storage.get("objects", objectKey(partitionOf(key, PARTITIONS), key)) !== undefined,
  ).length;

test("3 nodes, N=3, Q=256, no hints: a replica back from a crash has the 300 writes it missed within 10 s, by anti-entropy alone", async (t) => {
  const c = new SimCluster({
    seed: 300,
    partitions: PARTITIONS,
    n: 3,
    tombstoneGraceMs: 24 * 3600 * 1000,
    aaeIntervalMs: 500,
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
  let acked = 0;
  const failures: string[] = [];
  keys.forEach((key, i) => {
    const coordinator = (i % 2 === 0 ? n1 : n2).serving?.coordinator;
    assert.ok(coordinator !== undefined);
    coordinator
      .put(
        key,
        { value: bytes(`v${i}`), contentType: "text/plain", deleted: false, writtenAtMs: c.sim.nowMs() },
        [],
        {
          r: 2,
          w: 2,
          pr: 0,
          pw: 0,
          timeoutMs: 2000,
        },
      )
      .then(
        () => {
          acked += 1;
        },
        (error: unknown) => failures.push(String(error)),
      );
  });
  await until(
    c,
    () => "every write answered",
    () => acked + failures.length === KEYS,
    10_000,
  );
  assert.deepEqual(failures, []);
  // Let the writes still out to n3 fail: no hint may be left (the hint store takes none).
  await c.sim.runFor(3000);
  assert.equal(n1.storage.stats().stores.hints.entries + n2.storage.stats().stores.hints.entries, 0);
  assert.equal(held(n3), 0);

  void n3.start();
  await until(
    c,
    () => "n3 serves again",
    () => n3.serving !== undefined,
    5000,
  );
  const servingAt = c.sim.nowMs();
  const n3Metrics = n3.serving?.metrics;
  assert.ok(n3Metrics !== undefined);
  assert.equal(n3Metrics.aaeFullPassAgeSeconds(), null, "a node just started has made no full pass");
  await until(
    c,
    () => `n3 holds all ${KEYS} keys (it holds ${held(n3)})`,
    () => held(n3) === KEYS,
    10_000,
  );
  t.diagnostic(`n3 caught up ${KEYS} keys in ${c.sim.nowMs() - servingAt} ms of virtual time`);
  // The repair view: n3's first full pass (every partition compared with both peers) is dated,
  // and the keys anti-entropy repaired are in the 24-hour window of the nodes that repaired them.
  await until(
    c,
    () => "n3 completes a full anti-entropy pass",
    () => n3Metrics.aaeFullPassAgeSeconds() !== null,
    10_000,
  );
  const age = n3Metrics.aaeFullPassAgeSeconds() ?? Number.NaN;
  assert.ok(age >= 0 && age <= (c.sim.nowMs() - servingAt) / 1000, `full pass age ${age} s`);
  const repaired = [n1, n2, n3].reduce(
    (sum, node) =>
      sum +
      (node.serving?.metrics.repairTotals(c.sim.nowMs(), defaultRepairWindowOptions.slots).aaeKeysRepaired ??
        0),
    0,
  );
  assert.ok(repaired >= KEYS, `anti-entropy repaired ${repaired} keys in the window, of ${KEYS} missed`);
  assert.deepEqual(c.problems, []);
});
