import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Client } from "../../src/client/index.js";
import { compareBytes } from "../../src/storage/index.js";
import { useCluster, waitStatus } from "../support/cluster.js";
import { runCli } from "../support/node-process.js";

const KEYS = 1200;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
/** UTF-8 byte order, which the listing promises (not JavaScript's UTF-16 order). */
const byteOrder = (keys: string[]): string[] => [...keys].sort((a, b) => compareBytes(enc(a), enc(b)));

interface Page {
  keys: string[];
  next: string | null;
}

async function listAll(
  base: string,
  path: string,
  query: Record<string, string>,
): Promise<{ keys: string[]; pages: number }> {
  const keys: string[] = [];
  let after: string | null = null;
  for (let pages = 1; pages < 1000; pages++) {
    const params = new URLSearchParams({ ...query, ...(after === null ? {} : { after }) });
    const res = await fetch(`${base}${path}?${params}`);
    assert.equal(res.status, 200, await res.clone().text());
    const page = (await res.json()) as Page;
    keys.push(...page.keys);
    if (page.next === null) return { keys, pages };
    after = page.next;
  }
  throw new Error("listing did not end");
}

describe("listing keys on 3 processes (N=3, R=2, W=2)", { timeout: 150_000 }, () => {
  const { cluster, track, url } = useCluster({ nodes: 3, n: 3, r: 2, w: 2, partitions: 64 });
  // Keys with ASCII, a slash, and characters whose UTF-8 order differs from UTF-16's.
  const written = Array.from({ length: KEYS }, (_, i) =>
    i % 50 === 0
      ? `emoji-\u{1F600}-${i}`
      : i % 49 === 0
        ? `cjk-\uFF21-${i}`
        : `user/${String(i).padStart(4, "0")}`,
  );
  const deleted = new Set(written.filter((_, i) => i % 10 === 3));
  const live = byteOrder(written.filter((k) => !deleted.has(k)));

  test("every live key once, in UTF-8 byte order, through every node and page size", () =>
    track(async () => {
      const ids = cluster.nodes.map((n) => n.id);
      for (const [i, key] of written.entries()) {
        const res = await fetch(`${url(ids[i % 3] as string)}/kv/${encodeURIComponent(key)}`, {
          method: "PUT",
          body: `v${i}`,
        });
        assert.equal(res.status, 204);
      }
      for (const key of deleted) {
        const res = await fetch(`${url("n2")}/kv/${encodeURIComponent(key)}`, { method: "DELETE" });
        assert.equal(res.status, 204);
      }
      for (const [id, limit] of [
        ["n1", "1000"],
        ["n2", "250"],
        ["n3", "77"],
      ] as const) {
        const { keys, pages } = await listAll(url(id), "/keys", { limit });
        assert.equal(keys.length, live.length, `through ${id}, limit ${limit}`);
        assert.deepEqual(keys, live, `through ${id}, limit ${limit}`);
        assert.ok(pages >= Math.ceil(live.length / Number(limit)));
      }
      const same = await listAll(url("n1"), "/keys/default", { limit: "5000" });
      assert.deepEqual(same.keys, live, "/keys/default is /keys");
    }));

  test("a prefix narrows the listing; another namespace holds none of these keys", () =>
    track(async () => {
      const { keys } = await listAll(url("n3"), "/keys", { prefix: "user/01", limit: "30" });
      assert.deepEqual(
        keys,
        live.filter((k) => k.startsWith("user/01")),
      );
      assert.ok(keys.length > 50);
      const emoji = await listAll(url("n1"), "/keys", { prefix: "emoji-\u{1F600}" });
      assert.deepEqual(
        emoji.keys,
        live.filter((k) => k.startsWith("emoji-")),
      );
      const other = await listAll(url("n2"), "/keys/elsewhere", {});
      assert.deepEqual(other.keys, []);
    }));

  test("the CLI and the client library list the same keys", () =>
    track(async () => {
      const cli = runCli(["keys", "--node", url("n2"), "--prefix", "user/", "--page-size", "100"]);
      assert.equal(cli.code, 0, cli.stderr);
      assert.deepEqual(
        cli.stdout.trimEnd().split("\n"),
        live.filter((k) => k.startsWith("user/")),
      );
      const bad = runCli(["keys", "--node", url("n2"), "--page-size", "0"]);
      assert.equal(bad.code, 2, bad.stdout);
      const client = new Client({ nodes: [url("n1")] });
      try {
        const listed: string[] = [];
        for await (const key of client.keys({ pageSize: 333 })) listed.push(key);
        assert.deepEqual(listed, live);
        const cjk: string[] = [];
        for await (const key of client.keys({ ns: "default", prefix: "cjk-" })) cjk.push(key);
        assert.deepEqual(
          cjk,
          live.filter((k) => k.startsWith("cjk-")),
        );
        assert.ok(cjk.length > 0);
      } finally {
        client.close();
      }
    }));

  test("bad parameters are refused with 400 and the node keeps serving", () =>
    track(async () => {
      for (const query of [
        "limit=0",
        "limit=10001",
        "limit=x",
        "r=4",
        "colour=red",
        "limit=5&limit=6",
        "timeout_ms=0",
      ]) {
        const res = await fetch(`${url("n1")}/keys?${query}`);
        assert.equal(res.status, 400, query);
        const body = (await res.json()) as { error: string };
        assert.equal(body.error, "bad_request", query);
      }
      const badNs = await fetch(`${url("n1")}/keys/${encodeURIComponent("no spaces")}`);
      assert.equal(badNs.status, 400);
      const ok = await fetch(`${url("n1")}/keys?limit=1`);
      assert.equal(ok.status, 200);
      assert.equal(((await ok.json()) as Page).keys.length, 1);
    }));

  test("with one node down the listing is complete at r=2; with two down it is 503", () =>
    track(async () => {
      await cluster.kill("n3");
      await waitStatus(url("n1"), "n3", "down");
      const { keys } = await listAll(url("n1"), "/keys", { limit: "400" });
      assert.deepEqual(keys, live);
      await cluster.kill("n2");
      await waitStatus(url("n1"), "n2", "down");
      const res = await fetch(`${url("n1")}/keys?limit=10`);
      assert.equal(res.status, 503);
      const body = (await res.json()) as { error: string; needed: number };
      assert.equal(body.error, "unavailable");
      assert.equal(body.needed, 2);
      const one = await listAll(url("n1"), "/keys", { limit: "500", r: "1" });
      assert.deepEqual(one.keys, live, "r=1 asks n1 alone, which holds every key at N=3");
    }));
});
