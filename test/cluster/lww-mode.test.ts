import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { describe, test } from "node:test";
import { waitFor } from "../../src/clock/poll.js";
import { getJson, useCluster } from "../support/cluster.js";
import { NodeProcess, runCliAsync } from "../support/node-process.js";

interface ReplicasBody {
  replicas: { id: string; values?: string[]; deleted?: boolean; context?: string | null }[];
}

const b64 = (s: string): string => Buffer.from(s).toString("base64");

describe("--conflict-mode lww on 3 real processes", { timeout: 180_000 }, () => {
  const { cluster, track, url } = useCluster({
    nodes: 3,
    n: 3,
    r: 2,
    w: 2,
    partitions: 16,
    extraArgs: ["--conflict-mode", "lww", "--enable-fault-injection", "--aae-interval-ms", "100"],
  });

  const faults = (id: string, rules: unknown[]): Promise<Response> =>
    fetch(`${url(id)}/admin/faults`, { method: "PUT", body: JSON.stringify({ rules }) });

  test("every node runs the cluster's mode", () =>
    track(async () => {
      for (const id of ["n1", "n2", "n3"]) {
        assert.equal(
          (await getJson<{ conflictMode: string }>(`${url(id)}/cluster/ring`)).conflictMode,
          "lww",
        );
      }
    }));

  test("concurrent writes through different coordinators leave one value on every replica, and no read is a 300", () =>
    track(async () => {
      const writes = await Promise.all(
        ["n1", "n2", "n3", "n1", "n2", "n3"].map((id, i) =>
          fetch(`${url(id)}/kv/race`, { method: "PUT", body: `w${i}` }),
        ),
      );
      assert.ok(writes.every((w) => w.status === 204));
      const read = await fetch(`${url("n1")}/kv/race?r=3`);
      assert.equal(read.status, 200);
      const winner = await read.text();
      assert.match(winner, /^w[0-5]$/);
      await waitFor(
        "every replica to hold the winner",
        async () => {
          const info = await getJson<ReplicasBody>(`${url("n2")}/debug/replicas/race`);
          return info.replicas.every((r) => r.values?.length === 1 && r.values[0] === b64(winner));
        },
        15_000,
      );
    }));

  test("writes on both sides of a partition: after the heal every replica keeps the later one", () =>
    track(async () => {
      // n3 is cut off from n1 and n2 (both directions, on every node).
      assert.equal(
        (
          await faults("n3", [
            { peer: "n1", direction: "both", mode: "drop" },
            { peer: "n2", direction: "both", mode: "drop" },
          ])
        ).status,
        200,
      );
      for (const id of ["n1", "n2"]) {
        assert.equal((await faults(id, [{ peer: "n3", direction: "both", mode: "drop" }])).status, 200);
      }
      const left = await fetch(`${url("n1")}/kv/split?w=1&timeout_ms=1500`, { method: "PUT", body: "left" });
      assert.equal(left.status, 204);
      // Later by the wall clock (the nodes share this machine's clock), on the minority side.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const right = await fetch(`${url("n3")}/kv/split?w=1&timeout_ms=1500`, {
        method: "PUT",
        body: "right",
      });
      assert.equal(right.status, 204);
      for (const id of ["n1", "n2", "n3"]) await fetch(`${url(id)}/admin/faults`, { method: "DELETE" });
      // No client read: anti-entropy alone must converge the replicas on the later write.
      await waitFor(
        "anti-entropy to leave the later write everywhere",
        async () => {
          const info = await getJson<ReplicasBody>(`${url("n1")}/debug/replicas/split`);
          return info.replicas.every((r) => r.values?.length === 1 && r.values[0] === b64("right"));
        },
        30_000,
      );
      const read = await fetch(`${url("n2")}/kv/split?r=3`);
      assert.equal(read.status, 200);
      assert.equal(await read.text(), "right");
    }));

  test("a node restarted with --conflict-mode causal is refused with a one-line reason", () =>
    track(async () => {
      const node = cluster.node("n3");
      await cluster.kill("n3", "SIGTERM");
      const p = new NodeProcess([
        "--id",
        "n3",
        "--listen",
        node.listen,
        "--http",
        "127.0.0.1:0",
        "--data-dir",
        node.dataDir,
        "--conflict-mode",
        "causal",
      ]);
      const code = await p.exitCode();
      assert.notEqual(code, 0);
      assert.match(p.logs, /--conflict-mode causal conflicts with the cluster's conflict mode lww/);
      await cluster.restart("n3");
      await cluster.waitConverged();
      const bad = await runCliAsync([
        "start",
        "--id",
        "x",
        "--data-dir",
        node.dataDir,
        "--conflict-mode",
        "lwww",
      ]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--conflict-mode must be causal or lww, got "lwww"/);
    }));

  test("a node that joins without --conflict-mode adopts the cluster's lww", () =>
    track(async () => {
      const dataDir = `${cluster.node("n1").dataDir}-joiner`;
      const joiner = new NodeProcess([
        "--id",
        "n4",
        "--listen",
        "127.0.0.1:0",
        "--http",
        "127.0.0.1:0",
        "--data-dir",
        dataDir,
        "--seeds",
        cluster.node("n1").listen,
      ]);
      try {
        const joinerUrl = await joiner.url();
        assert.equal(
          (await getJson<{ conflictMode: string }>(`${joinerUrl}/cluster/ring`)).conflictMode,
          "lww",
        );
      } finally {
        await joiner.ensureStopped();
        rmSync(dataDir, { recursive: true, force: true });
      }
    }));
});
