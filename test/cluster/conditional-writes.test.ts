import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { waitFor } from "../../src/clock/poll.js";
import { getJson, useCluster } from "../support/cluster.js";

const CTX = "x-ringkv-context";

interface ReplicasBody {
  replicas: { id: string; values?: string[]; error?: string }[];
}

describe("conditional writes on 3 real processes (N=3, R=2, W=2)", { timeout: 120_000 }, () => {
  const { cluster, track, url } = useCluster({
    nodes: 3,
    n: 3,
    r: 2,
    w: 2,
    partitions: 16,
    extraArgs: ["--enable-fault-injection"],
  });
  const faults = (id: string, rules: unknown[]): Promise<Response> =>
    fetch(`${url(id)}/admin/faults`, { method: "PUT", body: JSON.stringify({ rules }) });
  const b64 = (text: string): string => Buffer.from(text).toString("base64");

  test("create-only through one coordinator is refused through another; If-Match with the context it returned applies", () =>
    track(async () => {
      const created = await fetch(`${url("n1")}/kv/account`, {
        method: "PUT",
        headers: { "if-none-match": "*" },
        body: "opened",
      });
      assert.equal(created.status, 204);
      const context = created.headers.get(CTX) ?? "";
      const again = await fetch(`${url("n2")}/kv/account`, {
        method: "PUT",
        headers: { "if-none-match": "*" },
        body: "opened twice",
      });
      assert.equal(again.status, 412);
      assert.equal(((await again.json()) as { error: string }).error, "precondition_failed");
      const updated = await fetch(`${url("n3")}/kv/account`, {
        method: "PUT",
        headers: { "if-match": context },
        body: "updated",
      });
      assert.equal(updated.status, 204);
      const read = await fetch(`${url("n2")}/kv/account?r=3`);
      assert.equal(read.status, 200);
      assert.equal(await read.text(), "updated");
      const deleted = await fetch(`${url("n2")}/kv/account`, {
        method: "DELETE",
        headers: { "if-match": context },
      });
      assert.equal(deleted.status, 412, "the context before the update is stale");
      assert.equal((await fetch(`${url("n1")}/kv/account?r=3`)).status, 200);
    }));

  test("not linearizable: create-only writes on both sides of a partition both pass and leave siblings", () =>
    track(async () => {
      // n3 is cut off from n1 and n2, both directions, on every node.
      assert.equal(
        (
          await faults("n3", [
            { peer: "n1", direction: "both", mode: "drop" },
            { peer: "n2", direction: "both", mode: "drop" },
          ])
        ).status,
        200,
      );
      for (const id of ["n1", "n2"])
        assert.equal((await faults(id, [{ peer: "n3", direction: "both", mode: "drop" }])).status, 200);
      try {
        // Each side's check reads only its own replicas (r=1) and finds nothing.
        const majority = await fetch(`${url("n1")}/kv/username?r=1&w=1&timeout_ms=1500`, {
          method: "PUT",
          headers: { "if-none-match": "*" },
          body: "alice",
        });
        assert.equal(majority.status, 204);
        const minority = await fetch(`${url("n3")}/kv/username?r=1&w=1&timeout_ms=1500`, {
          method: "PUT",
          headers: { "if-none-match": "*" },
          body: "bob",
        });
        assert.equal(minority.status, 204);
      } finally {
        for (const id of ["n1", "n2", "n3"]) await fetch(`${url(id)}/admin/faults`, { method: "DELETE" });
      }
      let siblings: string[] = [];
      await waitFor(
        "a read of every replica after the heal to show both created values",
        async () => {
          const r = await fetch(`${url("n2")}/kv/username?r=3&timeout_ms=1500`);
          if (r.status !== 300) return false;
          siblings = ((await r.json()) as { siblings: { value: string }[] }).siblings.map((s) => s.value);
          return true;
        },
        30_000,
      );
      assert.deepEqual(siblings.sort(), [b64("alice"), b64("bob")].sort());
      // Now that both are visible, a third create-only write is refused.
      const third = await fetch(`${url("n1")}/kv/username`, {
        method: "PUT",
        headers: { "if-none-match": "*" },
        body: "carol",
      });
      assert.equal(third.status, 412);
    }));

  test("with 2 of 3 nodes down the check misses r=2: 503 unavailable and nothing is written", () =>
    track(async () => {
      const written = await fetch(`${url("n1")}/kv/guarded?w=3`, { method: "PUT", body: "v1" });
      assert.equal(written.status, 204);
      const context = written.headers.get(CTX) ?? "";
      await cluster.kill("n2");
      await cluster.kill("n3");
      const create = await fetch(`${url("n1")}/kv/lonely?r=2&timeout_ms=2000`, {
        method: "PUT",
        headers: { "if-none-match": "*" },
        body: "v",
      });
      assert.equal(create.status, 503);
      const body = (await create.json()) as { error: string; needed: number; acked: number };
      assert.deepEqual([body.error, body.needed, body.acked], ["unavailable", 2, 1]);
      const del = await fetch(`${url("n1")}/kv/guarded?r=2&timeout_ms=2000`, {
        method: "DELETE",
        headers: { "if-match": context },
      });
      assert.equal(del.status, 503);
      const lonely = await getJson<ReplicasBody>(`${url("n1")}/debug/replicas/lonely`);
      assert.deepEqual(lonely.replicas.find((r) => r.id === "n1")?.values, [], "the create was not stored");
      const guarded = await getJson<ReplicasBody>(`${url("n1")}/debug/replicas/guarded`);
      assert.deepEqual(guarded.replicas.find((r) => r.id === "n1")?.values, [b64("v1")], "nor the delete");
      // The one node left still serves: a check at r=1 passes and a w=1 write is stored.
      const alone = await fetch(`${url("n1")}/kv/lonely?r=1&w=1&timeout_ms=2000`, {
        method: "PUT",
        headers: { "if-none-match": "*" },
        body: "v",
      });
      assert.equal(alone.status, 204);
    }));
});
