import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { waitFor } from "../../src/clock/poll.js";
import { getJson, useCluster, waitStatus } from "../support/cluster.js";

interface ReplicasBody {
  partition: number;
  replicas: { id: string; values?: string[]; deleted?: boolean; context?: string | null; error?: string }[];
}

describe("tombstone reaping on 4 real processes (N=3, grace 2 s)", { timeout: 180_000 }, () => {
  const { cluster, track, url } = useCluster({
    nodes: 4,
    n: 3,
    r: 2,
    w: 2,
    partitions: 16,
    extraArgs: ["--tombstone-grace-ms", "2000", "--hint-window-ms", "1000"],
  });
  const replicas = (key: string): Promise<ReplicasBody> =>
    getJson<ReplicasBody>(`${url("n1")}/debug/replicas/${key}`);
  const gone = (info: ReplicasBody): boolean =>
    info.replicas.every((r) => r.error === undefined && r.context === null && r.deleted === false);

  test("a tombstone held by every home replica is reaped after the grace period; the key stays absent", () =>
    track(async () => {
      assert.equal((await fetch(`${url("n1")}/kv/reap-me?w=3`, { method: "PUT", body: "x" })).status, 204);
      assert.equal((await fetch(`${url("n2")}/kv/reap-me?w=3`, { method: "DELETE" })).status, 204);
      assert.ok(
        (await replicas("reap-me")).replicas.every((r) => r.deleted === true),
        "tombstones first",
      );
      await waitFor(
        "the tombstone reaped on every replica",
        async () => gone(await replicas("reap-me")),
        20_000,
      );
      assert.equal((await fetch(`${url("n3")}/kv/reap-me?r=3`)).status, 404);
      const metrics = await Promise.all(
        ["n1", "n2", "n3", "n4"].map(async (id) => (await fetch(`${url(id)}/metrics`)).text()),
      );
      assert.ok(metrics.some((m) => /ringkv_tombstones_reaped_total\{node="n\d"\} [1-9]/.test(m)));
    }));

  test("a replica that missed the delete blocks reaping while it is down, gets the tombstone when it returns, and the old value never comes back", () =>
    track(async () => {
      const ring = await getJson<{ owners: string[][] }>(`${url("n1")}/cluster/ring`);
      let key = "";
      let victim = "";
      for (let i = 0; key === "" && i < 1000; i++) {
        const info = await replicas(`missed-${i}`);
        const home = ring.owners[info.partition]?.slice(0, 3) ?? [];
        if (home.includes("n1")) {
          key = `missed-${i}`;
          victim = home.find((id) => id !== "n1") ?? "";
        }
      }
      assert.equal(
        (await fetch(`${url("n1")}/kv/${key}?w=3`, { method: "PUT", body: "old value" })).status,
        204,
      );
      await cluster.kill(victim);
      try {
        await waitStatus(url("n1"), victim, "down", 10_000);
        assert.equal((await fetch(`${url("n1")}/kv/${key}`, { method: "DELETE" })).status, 204);
        // Twice the grace period: nothing may be reaped while a home replica is away.
        await new Promise((resolve) => setTimeout(resolve, 4000));
        const during = await replicas(key);
        for (const r of during.replicas.filter((x) => x.id !== victim))
          assert.equal(r.deleted, true, `${r.id} keeps its tombstone`);
      } finally {
        await cluster.restart(victim);
      }
      await waitFor(
        "the tombstone handed off and then reaped everywhere",
        async () => gone(await replicas(key)),
        30_000,
      );
      // Anti-entropy and read repair keep running; the old value must not reappear.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      for (const reader of ["n1", "n2", "n3", "n4"]) {
        assert.equal((await fetch(`${url(reader)}/kv/${key}?r=3`)).status, 404, `${reader} reads ${key}`);
      }
      assert.ok(gone(await replicas(key)));
    }));
});
