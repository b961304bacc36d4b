import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { waitFor } from "../../src/clock/poll.js";
import { getJson, useCluster, waitStatus } from "../support/cluster.js";

interface ReplicasBody {
  partition: number;
  replicas: { id: string; values?: string[]; context?: string | null }[];
}

const b64 = (text: string): string => Buffer.from(text).toString("base64");

/**
 * The five scenarios of the seed report's demo (shared/seeds/001), on real processes, in order:
 * replication and quorum, a node joins, a node fails (hints), it recovers (hints replayed),
 * concurrent writes (siblings resolved by a merged write on every replica).
 */
describe("the seed demo scenarios on real processes (N=3, W=2)", { timeout: 240_000 }, () => {
  const { cluster, track, url } = useCluster({ nodes: 3, n: 3, r: 2, w: 2, partitions: 64 });
  const put = (
    id: string,
    key: string,
    body: string,
    headers: Record<string, string> = {},
  ): Promise<Response> => fetch(`${url(id)}/kv/${key}`, { method: "PUT", body, headers });
  const ids = (): string[] => cluster.nodes.map((n) => n.id);

  test("1. basic replication and quorum: k1=v1 is on the 3 replicas and read the same from every node", () =>
    track(async () => {
      assert.equal((await put("n1", "k1", "v1")).status, 204);
      await waitFor(
        "k1 on every replica",
        async () =>
          (await getJson<ReplicasBody>(`${url("n2")}/debug/replicas/k1`)).replicas.every(
            (r) => r.values?.[0] === b64("v1"),
          ),
        5000,
      );
      for (const id of ids())
        assert.equal(await (await fetch(`${url(id)}/kv/k1`)).text(), "v1", `read via ${id}`);
    }));

  test("2. dynamic join: n4 joins, takes partitions, and a write is read back through it", () =>
    track(async () => {
      await cluster.addNode("n4");
      await cluster.waitConverged();
      const ring = await getJson<{ owners: string[][] }>(`${url("n4")}/cluster/ring`);
      assert.ok(
        ring.owners.filter((list) => list[0] === "n4").length >= 12,
        "n4 owns its share of partitions",
      );
      assert.equal((await put("n1", "k2", "v2")).status, 204);
      assert.equal(await (await fetch(`${url("n4")}/kv/k2`)).text(), "v2");
      assert.equal(await (await fetch(`${url("n4")}/kv/k1`)).text(), "v1");
    }));

  let hinted = "";
  test("3. node failure and hinted handoff: with n2 down, writes go on and hints are stored", () =>
    track(async () => {
      const ring = await getJson<{ owners: string[][] }>(`${url("n1")}/cluster/ring`);
      for (let i = 0; hinted === "" && i < 1000; i++) {
        const info = await getJson<ReplicasBody>(`${url("n1")}/debug/replicas/k3-${i}`);
        if (ring.owners[info.partition]?.slice(0, 3).includes("n2")) hinted = `k3-${i}`;
      }
      await cluster.kill("n2");
      await waitStatus(url("n1"), "n2", "down", 10_000);
      const res = await fetch(`${url("n1")}/kv/${hinted}?w=3`, { method: "PUT", body: "v3" });
      assert.equal(res.status, 204, "W=3 met with a fallback standing in for n2");
      const metrics = await Promise.all(
        ["n1", "n3", "n4"].map(async (id) => (await fetch(`${url(id)}/metrics`)).text()),
      );
      assert.ok(
        metrics.some((m) => /ringkv_hints_pending\{target="n2",node="n\d"\} [1-9]/.test(m)),
        "a hint for n2 is stored",
      );
    }));

  test("4. node recovery: n2 comes back and receives the hints with no manual step", () =>
    track(async () => {
      await cluster.restart("n2");
      await waitFor(
        "n2 to hold the hinted write",
        async () => {
          const info = await getJson<ReplicasBody>(`${url("n2")}/debug/replicas/${hinted}`);
          return info.replicas.find((r) => r.id === "n2")?.values?.[0] === b64("v3");
        },
        30_000,
      );
      assert.equal(await (await fetch(`${url("n2")}/kv/${hinted}`)).text(), "v3");
    }));

  test("5. concurrent writes and conflict resolution: siblings, then a merged write that every replica converges to", () =>
    track(async () => {
      assert.equal((await put("n1", "cart", "apples")).status, 204);
      assert.equal((await put("n3", "cart", "pears")).status, 204);
      const read = await fetch(`${url("n4")}/kv/cart?r=3`);
      assert.equal(read.status, 300);
      const body = (await read.json()) as { context: string; siblings: { value: string }[] };
      assert.deepEqual(body.siblings.map((s) => Buffer.from(s.value, "base64").toString()).sort(), [
        "apples",
        "pears",
      ]);
      assert.equal(
        (await put("n2", "cart", "apples,pears", { "x-ringkv-context": body.context })).status,
        204,
      );
      await waitFor(
        "every replica to hold only the merged value",
        async () => {
          const info = await getJson<ReplicasBody>(`${url("n1")}/debug/replicas/cart`);
          return info.replicas.every(
            (r) => JSON.stringify(r.values) === JSON.stringify([b64("apples,pears")]),
          );
        },
        10_000,
      );
      for (const id of ids()) assert.equal(await (await fetch(`${url(id)}/kv/cart`)).text(), "apples,pears");
    }));
});
