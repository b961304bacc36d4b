import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import type { ClusterOverview } from "../../src/api/cluster-overview.js";
import type { MemberInfo } from "../../src/api/interface.js";
import { fetchMemberStats } from "../../src/api/member-stats.js";
import type { NodeStats } from "../../src/api/node-stats.js";
import { startTestNode, type TestNode } from "../support/test-node.js";

describe("dashboard endpoints of a one-node cluster", () => {
  let t: TestNode;
  before(async () => {
    t = await startTestNode({ id: "solo", cluster: { n: 1, partitions: 16 } });
  });
  after(async () => {
    await t.destroy();
  });

  test("GET /ui serves the page with a policy that allows only the node's own files", async () => {
    for (const path of ["/ui", "/ui/"]) {
      const r = await fetch(`${t.url}${path}`);
      assert.equal(r.status, 200, path);
      assert.match(r.headers.get("content-type") ?? "", /^text\/html/);
      assert.match(r.headers.get("content-security-policy") ?? "", /script-src 'self'/);
      const html = await r.text();
      assert.match(html, /<script type="module" src="\/ui\/dashboard.js"><\/script>/);
    }
    const js = await fetch(`${t.url}/ui/dashboard.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get("content-type") ?? "", /^text\/javascript/);
    assert.match(await js.text(), /\/cluster\/overview/);
    const css = await fetch(`${t.url}/ui/dashboard.css`);
    assert.equal(css.status, 200);
    assert.match(css.headers.get("content-type") ?? "", /^text\/css/);
  });

  test("only the dashboard's own files are served under /ui", async () => {
    for (const path of ["/ui/package.json", "/ui/..%2F..%2Fpackage.json", "/ui/%2e%2e", "/ui/a/b"]) {
      const r = await fetch(`${t.url}${path}`);
      assert.equal(r.status, 404, path);
      assert.equal(((await r.json()) as { error: string }).error, "not_found");
    }
    const post = await fetch(`${t.url}/ui`, { method: "POST" });
    assert.equal(post.status, 405);
  });

  test("GET /stats counts this node's requests by operation, with latencies", async () => {
    for (let i = 0; i < 6; i++) {
      const r = await fetch(`${t.url}/kv/stats-${i}`, { method: "PUT", body: "v" });
      assert.equal(r.status, 204);
    }
    assert.equal((await fetch(`${t.url}/kv/stats-0`)).status, 200);
    assert.equal((await fetch(`${t.url}/kv/absent`)).status, 404);
    const r = await fetch(`${t.url}/stats`);
    assert.equal(r.status, 200);
    const s = (await r.json()) as NodeStats;
    assert.equal(s.id, "solo");
    assert.ok(s.windowSeconds >= 1 && s.windowSeconds <= 10, String(s.windowSeconds));
    assert.equal(s.kv.put.count, 6);
    assert.equal(s.kv.get.count, 2);
    assert.equal(s.kv.get.errors, 0, "a 404 is an answer, not an error");
    assert.equal(s.kv.delete.count, 0);
    assert.ok(s.kv.put.opsPerSecond > 0);
    assert.ok(s.kv.put.p50Ms !== null && s.kv.put.p50Ms > 0);
    assert.ok(s.kv.put.p99Ms !== null && s.kv.put.maxMs !== null && s.kv.put.p99Ms <= s.kv.put.maxMs);
    assert.equal(s.kv.delete.p50Ms, null);
    assert.equal(s.hints.pending, 0);
    const bad = await fetch(`${t.url}/stats?bogus=1`);
    assert.equal(bad.status, 400);
  });

  test("GET /cluster/overview has the ring, the member and its stats", async () => {
    const r = await fetch(`${t.url}/cluster/overview`);
    assert.equal(r.status, 200);
    const o = (await r.json()) as ClusterOverview;
    assert.equal(o.self, "solo");
    assert.deepEqual(o.settings, { partitions: 16, n: 1, r: 1, w: 1 });
    assert.equal(o.ring.partitions, 16);
    assert.deepEqual(o.ring.nodes, ["solo"]);
    assert.deepEqual(o.ring.owners, new Array(16).fill(0));
    assert.equal(o.members.length, 1);
    const [m] = o.members;
    assert.equal(m?.id, "solo");
    assert.equal(m?.status, "up");
    assert.equal(m?.partitions, 16);
    assert.equal(m?.statsError, null);
    assert.equal(m?.stats?.id, "solo");
  });
});

describe("fetching members' stats", () => {
  const servers: Server[] = [];
  const listen = async (handler: Parameters<typeof createServer>[1]): Promise<number> => {
    const server = createServer(handler);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return (server.address() as AddressInfo).port;
  };
  after(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    }
  });

  const member = (id: string, port: number): MemberInfo => ({
    id,
    listen: "127.0.0.1:1",
    http: `127.0.0.1:${port}`,
    zone: null,
    state: "active",
    status: "up",
    load: { keys: 0, hints: 0, diskBytes: 0 },
    partitions: 0,
    transfer: { version: 0, remaining: 0, keys: 0, bytes: 0 },
  });

  test("a slow, broken, impostor or closed member gets its own reason; the good one its stats", async () => {
    const real = await startTestNode({ id: "good", cluster: { n: 1, partitions: 8 } });
    try {
      const slow = await listen(() => {
        // Never answers.
      });
      const garbage = await listen((_req, res) => res.end("{not json"));
      const huge = await listen((_req, res) => res.end(JSON.stringify({ pad: "x".repeat(200_000) })));
      const failing = await listen((_req, res) => {
        res.statusCode = 500;
        res.end("{}");
      });
      const closed = await listen(() => undefined);
      const closedServer = servers.at(-1) as Server;
      await new Promise((resolve) => closedServer.close(resolve));
      const members = [
        member("good", real.node.httpAddress.port),
        member("impostor", real.node.httpAddress.port),
        member("slow", slow),
        member("garbage", garbage),
        member("huge", huge),
        member("failing", failing),
        member("closed", closed),
      ];
      const started = Date.now();
      const results = await fetchMemberStats(members, {
        timeoutMs: 300,
        concurrencyMax: 2,
        bodyBytesMax: 64 * 1024,
      });
      const elapsedMs = Date.now() - started;
      const summary = Object.fromEntries(
        [...results].map(([id, r]) => [id, r.ok ? `ok:${r.stats.id}` : r.error]),
      );
      assert.deepEqual(summary, {
        good: "ok:good",
        impostor: "bad_response",
        slow: "timeout",
        garbage: "bad_response",
        huge: "bad_response",
        failing: "bad_response",
        closed: "unreachable",
      });
      assert.ok(elapsedMs < 3000, `took ${elapsedMs} ms`);
    } finally {
      await real.destroy();
    }
  });
});
