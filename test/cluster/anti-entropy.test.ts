import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { describe, test } from "node:test";
import { waitFor } from "../../src/clock/poll.js";
import { getJson, useCluster, waitStatus } from "../support/cluster.js";

interface ReplicasBody {
  partition: number;
  replicas: { id: string; values?: string[]; deleted?: boolean; context?: string | null; error?: string }[];
}

const b64 = (text: string): string => Buffer.from(text).toString("base64");

describe("anti-entropy and network partitions on 5 real processes (N=3, R=2, W=2)", {
  timeout: 300_000,
}, () => {
  const { cluster, track, url } = useCluster({
    nodes: 5,
    n: 3,
    r: 2,
    w: 2,
    partitions: 32,
    extraArgs: ["--enable-fault-injection"],
  });
  const put = (
    id: string,
    key: string,
    body: string,
    headers: Record<string, string> = {},
    query = "",
  ): Promise<Response> => fetch(`${url(id)}/kv/${key}${query}`, { method: "PUT", body, headers });
  const setFaults = async (id: string, rules: unknown[]): Promise<void> => {
    const res = await fetch(`${url(id)}/admin/faults`, { method: "PUT", body: JSON.stringify({ rules }) });
    assert.equal(res.status, 200, await res.text());
  };

  /** Whether every home replica of `key` answers and all hold the same history. */
  async function identical(key: string): Promise<boolean> {
    const info = await getJson<ReplicasBody>(`${url("n1")}/debug/replicas/${key}`);
    const first = info.replicas[0];
    return (
      first !== undefined &&
      info.replicas.every(
        (r) =>
          r.error === undefined &&
          r.context === first.context &&
          JSON.stringify(r.values) === JSON.stringify(first.values),
      )
    );
  }

  test("a replica whose data directory was wiped is refilled by anti-entropy, with no client read", () =>
    track(async () => {
      const keys = Array.from({ length: 200 }, (_, i) => `aae-${i}`);
      for (const key of keys) assert.equal((await put("n1", key, `v-${key}`, {}, "?w=3")).status, 204);
      await cluster.kill("n2");
      rmSync(cluster.node("n2").dataDir, { recursive: true, force: true });
      await cluster.restart("n2");
      await cluster.waitConverged();
      const startedAt = Date.now();
      await waitFor(
        "n2 refilled by anti-entropy",
        async () => {
          for (const key of keys) {
            const info = await getJson<ReplicasBody>(`${url("n2")}/debug/replicas/${key}`);
            const mine = info.replicas.find((r) => r.id === "n2");
            if (mine !== undefined && mine.values?.[0] !== b64(`v-${key}`)) return false;
          }
          return true;
        },
        120_000,
      );
      process.stderr.write(`wiped n2 refilled ${Date.now() - startedAt} ms after its restart\n`);
      const metrics = await (await fetch(`${url("n2")}/metrics`)).text();
      assert.match(metrics, /ringkv_aae_exchanges_total\{node="n2"\} [1-9]/);
      assert.match(metrics, /ringkv_aae_last_exchange_age_seconds\{partition="\d+",node="n2"\} /);
    }));

  test("a delete made while a replica was partitioned away stays deleted after the heal, and the healed partition converges", () =>
    track(async () => {
      const ring = await getJson<{ owners: string[][] }>(`${url("n1")}/cluster/ring`);
      const keys: string[] = [];
      for (let i = 0; keys.length < 20 && i < 10_000; i++) {
        const info = await getJson<ReplicasBody>(`${url("n1")}/debug/replicas/part-${i}`);
        if (ring.owners[info.partition]?.slice(0, 3).includes("n5")) keys.push(`part-${i}`);
      }
      const contexts = new Map<string, string>();
      for (const key of keys) {
        const w = await put("n1", key, "before", {}, "?w=3");
        assert.equal(w.status, 204);
        contexts.set(key, w.headers.get("x-ringkv-context") ?? "");
      }
      // Both sides of the partition update "before" with the context they read it with.
      const ctx = (key: string): Record<string, string> => ({ "x-ringkv-context": contexts.get(key) ?? "" });
      const [doomed, ...rest] = keys as [string, ...string[]];
      const others = ["n1", "n2", "n3", "n4"];
      try {
        // Cut n5 off from everyone, both ways.
        for (const id of others) await setFaults(id, [{ peer: "n5", direction: "both", mode: "drop" }]);
        await setFaults(
          "n5",
          others.map((peer) => ({ peer, direction: "both", mode: "drop" })),
        );
        await waitStatus(url("n1"), "n5", "down", 15_000);
        // The majority deletes one key and rewrites the others; n5, alone, writes too (W=1).
        assert.equal((await fetch(`${url("n1")}/kv/${doomed}`, { method: "DELETE" })).status, 204);
        for (const key of rest.slice(0, 10)) {
          assert.equal((await put("n2", key, "majority", ctx(key))).status, 204);
        }
        for (const key of rest.slice(5)) {
          assert.equal((await put("n5", key, "minority", ctx(key), "?w=1&timeout_ms=3000")).status, 204);
        }
      } finally {
        for (const id of ["n1", "n2", "n3", "n4", "n5"])
          await fetch(`${url(id)}/admin/faults`, { method: "DELETE" });
      }
      await cluster.waitConverged();
      await waitFor(
        "every key's replicas identical after the heal",
        async () => {
          for (const key of keys) if (!(await identical(key))) return false;
          return true;
        },
        90_000,
      );
      for (const reader of ["n1", "n5"]) {
        assert.equal(
          (await fetch(`${url(reader)}/kv/${doomed}?r=3`)).status,
          404,
          `${doomed} stays deleted (read via ${reader})`,
        );
      }
      // Keys written on both sides hold both versions as siblings: nothing acknowledged was lost.
      const both = await fetch(`${url("n3")}/kv/${rest[6]}?r=3`);
      assert.equal(both.status, 300);
      const siblings = ((await both.json()) as { siblings: { value: string }[] }).siblings.map((s) =>
        Buffer.from(s.value, "base64").toString(),
      );
      assert.deepEqual(siblings.sort(), ["majority", "minority"]);
    }));
});
