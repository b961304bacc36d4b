import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { waitFor } from "../../src/clock/poll.js";
import { getJson, useCluster, waitStatus } from "../support/cluster.js";

interface ReplicasBody {
  replicas: { id: string; values?: string[]; deleted?: boolean }[];
}

describe("read repair, on 3 real processes (no fallbacks: every node is a home replica)", {
  timeout: 180_000,
}, () => {
  // With N equal to the cluster size there is no fallback, so a replica that was down misses
  // writes until something repairs it. Hints (which the coordinator keeps for it) and
  // anti-entropy would repair it within a second of its restart; with both off, only a read can.
  const { cluster, track, url } = useCluster({
    nodes: 3,
    n: 3,
    r: 2,
    w: 2,
    partitions: 16,
    extraArgs: ["--max-hints-per-node", "0", "--aae-interval-ms", "3600000"],
  });

  test("with no fallback to take a hint, W=3 fails and W=2 succeeds; a read repairs the replica that missed the write", () =>
    track(async () => {
      await cluster.kill("n3");
      await waitStatus(url("n1"), "n3", "down", 10_000);
      const w3 = await fetch(`${url("n1")}/kv/repair-me?w=3&timeout_ms=2000`, {
        method: "PUT",
        body: "first",
      });
      assert.equal(w3.status, 503, "no fallback would take the hint");
      const ctx = (await fetch(`${url("n2")}/kv/repair-me`)).headers.get("x-ringkv-context") ?? "";
      const w2 = await fetch(`${url("n1")}/kv/repair-me?w=2`, {
        method: "PUT",
        body: "repaired",
        headers: { "x-ringkv-context": ctx },
      });
      assert.equal(w2.status, 204);
      await cluster.restart("n3");
      await cluster.waitConverged();
      // n1 dials n3 again within its reconnect backoff (at most 1 s).
      await waitFor(
        "n1 to reach n3 again",
        async () => {
          const info = await getJson<ReplicasBody>(`${url("n1")}/debug/replicas/repair-me`);
          return info.replicas.find((r) => r.id === "n3")?.values !== undefined;
        },
        5000,
      );
      const before = await getJson<ReplicasBody>(`${url("n1")}/debug/replicas/repair-me`);
      assert.deepEqual(before.replicas.find((r) => r.id === "n3")?.values, [], "n3 missed the write");
      const read = await fetch(`${url("n1")}/kv/repair-me?r=3`);
      assert.equal(await read.text(), "repaired");
      await waitFor(
        "n3 repaired by the read",
        async () => {
          const info = await getJson<ReplicasBody>(`${url("n2")}/debug/replicas/repair-me`);
          return info.replicas.every((r) => r.values?.[0] === Buffer.from("repaired").toString("base64"));
        },
        10_000,
      );
      const metrics = await (await fetch(`${url("n1")}/metrics`)).text();
      assert.match(metrics, /ringkv_read_repairs_total\{node="n1"\} [1-9]/);
    }));
});
