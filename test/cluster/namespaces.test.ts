import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Client } from "../../src/client/index.js";
import { waitFor } from "../../src/clock/poll.js";
import { getJson, useCluster, waitStatus } from "../support/cluster.js";

interface NamespaceBody {
  name: string;
  ttlSeconds: number | null;
  r: number;
  configured: Record<string, number>;
}

/**
 * Namespaces on 3 real processes (N=3, R=2, W=2): keys of two namespaces never meet, properties
 * spread to every node within 5 s, survive a restart of every node, reach a later joiner, and
 * apply (ttlSeconds expires writes), `n` is refused once the namespace holds a key, and a
 * replica that was down (hints, repair) gets each namespace its own value of one user key.
 */
describe("namespaces on 3 processes (N=3, R=2, W=2)", { timeout: 180_000 }, () => {
  const { cluster, track, url } = useCluster({ nodes: 3, n: 3, r: 2, w: 2, partitions: 64 });
  const ids = ["n1", "n2", "n3"];
  const put = (id: string, path: string, body: string): Promise<Response> =>
    fetch(`${url(id)}${path}`, { method: "PUT", body, headers: { "content-type": "text/plain" } });
  const read = async (id: string, path: string): Promise<[number, string]> => {
    const r = await fetch(`${url(id)}${path}`);
    return [r.status, await r.text()];
  };
  const setProps = (id: string, ns: string, body: unknown): Promise<Response> =>
    fetch(`${url(id)}/namespaces/${ns}`, { method: "PUT", body: JSON.stringify(body) });
  const keysOf = async (id: string, ns: string): Promise<string[]> =>
    (await getJson<{ keys: string[] }>(`${url(id)}/keys/${ns}?limit=10000`)).keys;

  test("the same user key in two namespaces is two keys: deleting one leaves the other, listings stay apart", () =>
    track(async () => {
      for (let i = 0; i < 40; i++) {
        assert.equal((await put(ids[i % 3] as string, `/kv/a/k${i}`, `a${i}`)).status, 204);
        assert.equal((await put(ids[(i + 1) % 3] as string, `/kv/b/k${i}`, `b${i}`)).status, 204);
      }
      for (let i = 0; i < 40; i += 2) {
        const res = await fetch(`${url(ids[(i + 2) % 3] as string)}/kv/b/k${i}`, { method: "DELETE" });
        assert.equal(res.status, 204);
      }
      for (let i = 0; i < 40; i++) {
        const via = ids[i % 3] as string;
        assert.deepEqual(await read(via, `/kv/a/k${i}`), [200, `a${i}`], `a/k${i} via ${via}`);
        const b = await read(via, `/kv/b/k${i}`);
        assert.deepEqual(b, i % 2 === 0 ? [404, b[1]] : [200, `b${i}`], `b/k${i} via ${via}`);
        assert.equal((await read(via, `/kv/k${i}`))[0], 404, `default k${i} via ${via}`);
      }
      const a = Array.from({ length: 40 }, (_, i) => `k${i}`).sort();
      const b = a.filter((k) => Number(k.slice(1)) % 2 === 1);
      for (const id of ids) {
        assert.deepEqual(await keysOf(id, "a"), a, `listing a via ${id}`);
        assert.deepEqual(await keysOf(id, "b"), b, `listing b via ${id}`);
        assert.ok(!(await keysOf(id, "default")).some((k) => /^k[0-9]+$/.test(k)), `default via ${id}`);
      }
      // Every home replica holds its own namespace's copy, nothing of the other's.
      const debug = await getJson<{ namespace: string; replicas: { values: string[] }[] }>(
        `${url("n2")}/debug/replicas/a/k0`,
      );
      assert.equal(debug.namespace, "a");
      assert.equal(debug.replicas.length, 3);
      for (const replica of debug.replicas)
        assert.deepEqual(
          replica.values.map((v) => Buffer.from(v, "base64").toString()),
          ["a0"],
        );
    }));

  test("the ring-aware client with ns writes and reads its namespace's keys through any node", () =>
    track(async () => {
      const client = await Client.connect({ nodes: [url("n1")], ns: "viaclient" });
      try {
        for (let i = 0; i < 30; i++) await client.put(`c${i}`, `v${i}`);
        for (let i = 0; i < 30; i++) {
          const got = await client.get(`c${i}`);
          assert.ok(got.status === 200 && Buffer.from(got.value).toString() === `v${i}`, `c${i}`);
          assert.equal((await client.get(`c${i}`, { ns: "default" })).status, 404);
        }
        const listed: string[] = [];
        for await (const key of client.keys()) listed.push(key);
        assert.equal(listed.length, 30);
      } finally {
        client.close();
      }
    }));

  test("properties set on one node are on all three within 5 s, and its ttlSeconds makes a write expire", () =>
    track(async () => {
      const res = await setProps("n1", "sessions", { ttlSeconds: 2, r: 1 });
      assert.equal(res.status, 200, await res.clone().text());
      for (const id of ids) {
        await waitFor(
          `sessions' properties on ${id}`,
          async () => {
            const body = await getJson<NamespaceBody>(`${url(id)}/namespaces/sessions`);
            return body.ttlSeconds === 2 && body.r === 1;
          },
          5000,
        );
      }
      assert.equal((await put("n3", "/kv/sessions/tok", "secret")).status, 204);
      const live = await fetch(`${url("n2")}/kv/sessions/tok`);
      assert.equal(live.status, 200);
      const deadline = Number(live.headers.get("x-ringkv-expires-at"));
      assert.ok(deadline > Date.now() && deadline <= Date.now() + 2000, `deadline ${deadline}`);
      // The contract: 404 through every node within 1 s of the deadline.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now()) + 1000));
      for (const id of ids) assert.equal((await read(id, "/kv/sessions/tok"))[0], 404, `expired via ${id}`);
      // A write in another namespace does not expire.
      assert.equal((await put("n3", "/kv/kept/tok", "v")).status, 204);
      assert.equal((await fetch(`${url("n1")}/kv/kept/tok`)).headers.get("x-ringkv-expires-at"), null);
    }));

  test("n is accepted while the namespace holds no key, then refused with 409; w above n is a 400", () =>
    track(async () => {
      assert.equal((await setProps("n2", "sized", { n: 2 })).status, 200);
      assert.equal((await setProps("n2", "sized", { n: 3 })).status, 200, "still empty: n may change again");
      const other = await setProps("n2", "sized", { n: 2, w: 3 });
      assert.equal(other.status, 400);
      assert.match(
        ((await other.json()) as { message: string }).message,
        /w=3 is more than the namespace's n=2/,
      );
      // One key, written through another node: the check asks the cluster, not the local disk.
      assert.equal((await put("n3", "/kv/sized/first", "v")).status, 204);
      for (const id of ids) {
        const res = await setProps(id, "sized", { n: 3 });
        assert.equal(res.status, 409, `via ${id}`);
        assert.equal(((await res.json()) as { error: string }).error, "conflict");
      }
    }));

  test("properties survive a restart of every node and reach a node that joins later", () =>
    track(async () => {
      assert.equal((await setProps("n2", "durable", { maxSiblings: 7, w: 3 })).status, 200);
      for (const id of ids)
        await waitFor(
          `durable on ${id}`,
          async () => (await getJson<NamespaceBody>(`${url(id)}/namespaces/durable`)).configured.w === 3,
          5000,
        );
      for (const id of ids) assert.equal(await cluster.node(id).process?.kill("SIGTERM"), 0, id);
      for (const id of ids) await cluster.restart(id);
      await cluster.waitConverged();
      for (const id of ids) {
        const body = await getJson<NamespaceBody>(`${url(id)}/namespaces/durable`);
        assert.deepEqual(body.configured, { maxSiblings: 7, w: 3 }, `after restart on ${id}`);
        const sessions = await getJson<NamespaceBody>(`${url(id)}/namespaces/sessions`);
        assert.deepEqual(sessions.configured, { ttlSeconds: 2, r: 1 }, `sessions after restart on ${id}`);
      }
      const n4 = await cluster.addNode("n4");
      await cluster.waitConverged(60_000);
      await waitFor(
        "durable and sessions on the joiner n4",
        async () => {
          const all = await getJson<{ namespaces: NamespaceBody[] }>(`${n4.url}/namespaces`);
          const byName = new Map(all.namespaces.map((n) => [n.name, n.configured]));
          return byName.get("durable")?.w === 3 && byName.get("sessions")?.ttlSeconds === 2;
        },
        10_000,
      );
      // And the joiner applies them: its writes in `sessions` expire.
      assert.equal((await fetch(`${n4.url}/kv/sessions/late`, { method: "PUT", body: "v" })).status, 204);
      assert.notEqual((await fetch(`${n4.url}/kv/sessions/late`)).headers.get("x-ringkv-expires-at"), null);
      // Keys of the namespaces written before are still apart and readable through the joiner.
      assert.deepEqual(await read("n4", "/kv/a/k1"), [200, "a1"]);
      assert.equal((await read("n4", "/kv/b/k0"))[0], 404);
    }));
  test("hints and repair for a replica that was down bring each namespace its own value of one user key", () =>
    track(async () => {
      interface Replicas {
        partition: number;
        replicas: { id: string; values?: string[] }[];
      }
      const replicasOf = (ns: string, key: string): Promise<Replicas> =>
        getJson<Replicas>(`${url("n1")}/debug/replicas/${ns}/${key}`);
      // A user key whose home replicas include n4 in both namespaces.
      let key = "";
      for (let i = 0; i < 1000 && key === ""; i++) {
        const [a, b] = [await replicasOf("a", `h${i}`), await replicasOf("b", `h${i}`)];
        if ([a, b].every((r) => r.replicas.some((x) => x.id === "n4"))) key = `h${i}`;
      }
      assert.notEqual(key, "", "a key homed on n4 in both namespaces");
      await cluster.kill("n4");
      await waitStatus(url("n1"), "n4", "down");
      assert.equal((await put("n1", `/kv/a/${key}`, "value in a")).status, 204);
      assert.equal((await put("n2", `/kv/b/${key}`, "value in b")).status, 204);
      await cluster.restart("n4");
      const valuesOnN4 = async (ns: string): Promise<string[] | undefined> =>
        (await replicasOf(ns, key)).replicas
          .find((r) => r.id === "n4")
          ?.values?.map((v) => Buffer.from(v, "base64").toString());
      await waitFor(
        "n4 holds each namespace's value",
        async () =>
          JSON.stringify(await valuesOnN4("a")) === JSON.stringify(["value in a"]) &&
          JSON.stringify(await valuesOnN4("b")) === JSON.stringify(["value in b"]),
        30_000,
      );
      assert.deepEqual(await read("n4", `/kv/a/${key}`), [200, "value in a"]);
      assert.deepEqual(await read("n4", `/kv/b/${key}`), [200, "value in b"]);
      assert.equal((await read("n4", `/kv/${key}`))[0], 404);
    }));
});
