import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestNode, type TestNode } from "../support/test-node.js";

const CTX = "x-ringkv-context";
const EXPIRES = "x-ringkv-expires-at";

describe("namespaces through the client HTTP API of a one-node cluster", () => {
  let t: TestNode;
  before(async () => {
    t = await startTestNode();
  });
  after(async () => {
    await t.destroy();
  });

  const url = (path: string): string => `${t.url}${path}`;
  const put = (path: string, body: string, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(url(path), { method: "PUT", body, headers: { "content-type": "text/plain", ...headers } });
  const text = async (path: string): Promise<[number, string]> => {
    const r = await fetch(url(path));
    return [r.status, await r.text()];
  };
  const setProps = (ns: string, body: unknown): Promise<Response> =>
    fetch(url(`/namespaces/${ns}`), {
      method: "PUT",
      body: typeof body === "string" ? body : JSON.stringify(body),
      headers: { "content-type": "application/json" },
    });
  const errorOf = async (r: Response): Promise<{ error: string; message: string }> =>
    (await r.json()) as { error: string; message: string };

  test("one user key in two namespaces and in default is three keys; deleting one leaves the others", async () => {
    assert.equal((await put("/kv/a/k", "in a")).status, 204);
    assert.equal((await put("/kv/b/k", "in b")).status, 204);
    assert.equal((await put("/kv/k", "in default")).status, 204);
    assert.deepEqual(await text("/kv/a/k"), [200, "in a"]);
    assert.deepEqual(await text("/kv/b/k"), [200, "in b"]);
    assert.deepEqual(await text("/kv/k"), [200, "in default"]);
    assert.equal((await fetch(url("/kv/a/k"), { method: "DELETE" })).status, 204);
    assert.equal((await text("/kv/a/k"))[0], 404);
    assert.deepEqual(await text("/kv/b/k"), [200, "in b"]);
    assert.deepEqual(await text("/kv/k"), [200, "in default"]);
  });

  test("/kv/default/{key} is /kv/{key}", async () => {
    assert.equal((await put("/kv/default/same", "one")).status, 204);
    assert.deepEqual(await text("/kv/same"), [200, "one"]);
  });

  test("listing a namespace shows only its keys, as user keys", async () => {
    for (const k of ["x1", "x2"]) assert.equal((await put(`/kv/list-a/${k}`, "v")).status, 204);
    assert.equal((await put("/kv/list-b/x3", "v")).status, 204);
    assert.equal((await put("/kv/list-a.more/x4", "v")).status, 204);
    const a = (await (await fetch(url("/keys/list-a"))).json()) as { keys: string[] };
    assert.deepEqual(a.keys, ["x1", "x2"]);
    const b = (await (await fetch(url("/keys/list-b"))).json()) as { keys: string[] };
    assert.deepEqual(b.keys, ["x3"]);
    const d = (await (await fetch(url("/keys"))).json()) as { keys: string[] };
    assert.ok(!d.keys.some((k) => k.startsWith("x")), `default lists ${d.keys.join(",")}`);
  });

  test("a key with '/' percent-encoded works inside a namespace; three segments is a 400", async () => {
    assert.equal((await put(`/kv/paths/${encodeURIComponent("a/b")}`, "slash")).status, 204);
    assert.deepEqual(await text("/kv/paths/a%2Fb"), [200, "slash"]);
    const r = await put("/kv/a/b/c", "x");
    assert.equal(r.status, 400);
    const body = await errorOf(r);
    assert.equal(body.error, "bad_request");
    assert.match(body.message, /\/kv\/\{namespace\}\/\{key\}/);
  });

  test("a bad namespace name is a 400 naming the rule", async () => {
    for (const path of [`/kv/${"n".repeat(65)}/k`, "/kv/bad%20name/k", "/kv/%C3%A9/k", `/keys/bad%2Fname`]) {
      const r = await fetch(url(path));
      assert.equal(r.status, 400, path);
      const body = await errorOf(r);
      assert.equal(body.error, "bad_request");
      assert.match(body.message, /1-64 of A-Z a-z 0-9 \. _ -/, path);
    }
  });

  test("contexts, siblings and conditional writes work inside a namespace", async () => {
    assert.equal((await put("/kv/cond/k", "first", { "if-none-match": "*" })).status, 204);
    assert.equal((await put("/kv/cond/k", "second", { "if-none-match": "*" })).status, 412);
    // The same key in another namespace is absent, so create-only passes there.
    assert.equal((await put("/kv/cond2/k", "other", { "if-none-match": "*" })).status, 204);
    assert.equal((await put("/kv/cond/k", "concurrent")).status, 204);
    const siblings = await fetch(url("/kv/cond/k"));
    assert.equal(siblings.status, 300);
    const context = siblings.headers.get(CTX);
    assert.ok(context !== null);
    assert.equal((await put("/kv/cond/k", "resolved", { [CTX]: context, "if-match": context })).status, 204);
    assert.deepEqual(await text("/kv/cond/k"), [200, "resolved"]);
  });

  test("a never-configured namespace shows the cluster defaults", async () => {
    const r = await fetch(url("/namespaces/fresh"));
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), {
      name: "fresh",
      n: 1,
      r: 1,
      w: 1,
      ttlSeconds: null,
      maxSiblings: 100,
      configured: {},
    });
  });

  test("a namespace's ttlSeconds makes writes that set no ttl_s expire; a request's ttl_s wins", async () => {
    const r = await setProps("sessions", { ttlSeconds: 100 });
    assert.equal(r.status, 200);
    assert.equal(((await r.json()) as { ttlSeconds: number }).ttlSeconds, 100);
    const before = Date.now();
    assert.equal((await put("/kv/sessions/s1", "v")).status, 204);
    const read = await fetch(url("/kv/sessions/s1"));
    const expiresAt = Number(read.headers.get(EXPIRES));
    assert.ok(expiresAt >= before + 100_000 && expiresAt <= Date.now() + 100_000, `${expiresAt}`);
    assert.equal((await put("/kv/sessions/s2?ttl_s=5000", "v")).status, 204);
    const own = Number((await fetch(url("/kv/sessions/s2"))).headers.get(EXPIRES));
    assert.ok(own >= before + 5_000_000, `${own}`);
    // Other namespaces are untouched.
    assert.equal((await put("/kv/other/s1", "v")).status, 204);
    assert.equal((await fetch(url("/kv/other/s1"))).headers.get(EXPIRES), null);
  });

  test("a change merges over the stored properties and GET /namespaces lists them", async () => {
    assert.equal((await setProps("merged", { maxSiblings: 7 })).status, 200);
    assert.equal((await setProps("merged", { ttlSeconds: 60 })).status, 200);
    const one = (await (await fetch(url("/namespaces/merged"))).json()) as Record<string, unknown>;
    assert.deepEqual(one.configured, { maxSiblings: 7, ttlSeconds: 60 });
    const all = (await (await fetch(url("/namespaces"))).json()) as { namespaces: { name: string }[] };
    const names = all.namespaces.map((n) => n.name);
    assert.ok(
      names.includes("merged") && names.includes("sessions") && names.includes("default"),
      `${names}`,
    );
    assert.deepEqual(names, [...names].sort());
  });

  test("a namespace's maxSiblings bounds its keys' siblings", async () => {
    assert.equal((await setProps("few", { maxSiblings: 1 })).status, 200);
    assert.equal((await put("/kv/few/k", "one")).status, 204);
    const second = await put("/kv/few/k", "two");
    assert.equal(second.status, 409);
    assert.equal((await errorOf(second)).error, "too_many_siblings");
    // The same pair of concurrent writes elsewhere becomes siblings.
    assert.equal((await put("/kv/many/k", "one")).status, 204);
    assert.equal((await put("/kv/many/k", "two")).status, 204);
    assert.equal((await fetch(url("/kv/many/k"))).status, 300);
  });

  test("bad property changes are 400s that say what is wrong", async () => {
    const cases: [unknown, RegExp][] = [
      ["not json", /JSON/],
      [[1], /JSON object/],
      [{ colour: 1 }, /unknown field colour/],
      [{ r: 0 }, /r must be an integer/],
      [{ w: 2.5 }, /w must be an integer/],
      [{ ttlSeconds: "60" }, /ttlSeconds must be an integer/],
      [{ r: 2 }, /more than the namespace's n=1/],
      [{ n: 17 }, /n must be an integer in 1\.\.16/],
      [{ n: 2, w: 3 }, /w=3 is more than the namespace's n=2/],
    ];
    for (const [body, message] of cases) {
      const r = await setProps("checked", body);
      assert.equal(r.status, 400, JSON.stringify(body));
      const e = await errorOf(r);
      assert.equal(e.error, "bad_request");
      assert.match(e.message, message);
    }
    assert.equal((await setProps("bad name", { r: 1 })).status, 400);
    // The common query parameters are accepted and checked here too (API.md), unknown ones refused.
    assert.equal((await fetch(url("/namespaces/checked?timeout_ms=2000"))).status, 200);
    assert.equal((await fetch(url("/namespaces?timeout_ms=0"))).status, 400);
    assert.equal((await fetch(url("/namespaces?colour=1"))).status, 400);
  });

  test("an n above the cluster's N: quorums up to the replicas that exist work, a larger w is a 503", async () => {
    // One node, N=1: a namespace with n=3 has one replica here until the cluster grows.
    const set = await setProps("wide", { n: 3 });
    assert.equal(set.status, 200);
    assert.equal(((await set.json()) as { n: number; r: number; w: number }).n, 3);
    assert.equal((await put("/kv/wide/k?w=1", "v")).status, 204);
    const read = await fetch(url("/kv/wide/k?r=1"));
    assert.equal(read.status, 200);
    assert.equal(await read.text(), "v");
    const wide = await put("/kv/wide/k2?w=2", "v");
    assert.equal(wide.status, 503);
    const body = (await wide.json()) as { needed: number };
    assert.equal(body.needed, 2);
    assert.equal((await put("/kv/wide/k3?w=4", "v")).status, 400, "w above the namespace's n");
    const debug = (await (await fetch(url("/debug/replicas/wide/k"))).json()) as { replicas: unknown[] };
    assert.equal(debug.replicas.length, 1, "the one node there is");
  });

  test("n is accepted while the namespace is empty, then refused with 409", async () => {
    assert.equal((await setProps("sized", { n: 1 })).status, 200);
    assert.equal((await put("/kv/sized/k", "v")).status, 204);
    const r = await setProps("sized", { n: 1 });
    assert.equal(r.status, 409);
    assert.match((await errorOf(r)).message, /holds keys/);
    // Other properties may still change.
    assert.equal((await setProps("sized", { ttlSeconds: 10 })).status, 200);
  });

  test("GET /stats carries this node's key counts per namespace", async () => {
    for (const k of ["c1", "c2", "c3"]) assert.equal((await put(`/kv/counted/${k}`, "v")).status, 204);
    const stats = (await (await fetch(url("/stats"))).json()) as {
      namespaceKeys: { namespaces: { name: string; keys: number }[]; complete: boolean; countedAtMs: number };
    };
    assert.equal(stats.namespaceKeys.complete, true);
    const byName = new Map(stats.namespaceKeys.namespaces.map((n) => [n.name, n.keys]));
    // Counts are reused for 10 s: the first /stats of this node is the first count.
    assert.equal(byName.get("counted"), 3);
    assert.equal(byName.get("b"), 1);
    assert.ok((byName.get("default") ?? 0) >= 2);
    // The dashboard's data carries it per member.
    const overview = (await (await fetch(url("/cluster/overview"))).json()) as {
      members: { stats: { namespaceKeys?: { namespaces: { name: string; keys: number }[] } } | null }[];
    };
    const mine = overview.members[0]?.stats?.namespaceKeys?.namespaces.find((n) => n.name === "counted");
    assert.equal(mine?.keys, 3);
  });

  test("/debug/replicas/{ns}/{key} shows the namespaced key's replicas", async () => {
    assert.equal((await put("/kv/dbg/k", "there")).status, 204);
    const info = (await (await fetch(url("/debug/replicas/dbg/k"))).json()) as {
      key: string;
      namespace: string;
      replicas: { values: string[] }[];
    };
    assert.equal(info.key, "k");
    assert.equal(info.namespace, "dbg");
    assert.deepEqual(
      info.replicas.map((r) => r.values.map((v) => Buffer.from(v, "base64").toString())),
      [["there"]],
    );
  });
});

describe("namespace properties across a restart", () => {
  test("survive a restart of the node", async () => {
    const first = await startTestNode();
    try {
      const r = await fetch(`${first.url}/namespaces/kept`, {
        method: "PUT",
        body: JSON.stringify({ ttlSeconds: 42, maxSiblings: 3 }),
      });
      assert.equal(r.status, 200);
      await first.stop();
      const again = await startTestNode({ dataDir: first.dataDir });
      try {
        const got = (await (await fetch(`${again.url}/namespaces/kept`)).json()) as Record<string, unknown>;
        assert.deepEqual(got.configured, { ttlSeconds: 42, maxSiblings: 3 });
      } finally {
        await again.destroy();
      }
    } finally {
      await first.destroy();
    }
  });
});
