import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestNode, type TestNode } from "../support/test-node.js";

describe("cluster and operations endpoints of a one-node cluster", () => {
  let t: TestNode;
  before(async () => {
    t = await startTestNode({ id: "solo", cluster: { n: 1, partitions: 64 } });
  });
  after(async () => {
    await t.destroy();
  });

  test("/health answers ok with the node id", async () => {
    const r = await fetch(`${t.url}/health`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { status: "ok", id: "solo" });
  });

  test("/cluster/members lists the node as active and up with its addresses", async () => {
    const body = (await (await fetch(`${t.url}/cluster/members`)).json()) as {
      members: Record<string, string>[];
    };
    assert.equal(body.members.length, 1);
    const [member] = body.members;
    assert.match(member?.listen ?? "", /^127\.0\.0\.1:[1-9][0-9]*$/);
    assert.deepEqual(
      { ...member, listen: "", load: undefined },
      {
        id: "solo",
        listen: "",
        http: `127.0.0.1:${t.node.httpAddress.port}`,
        state: "active",
        status: "up",
        load: undefined,
        partitions: 64,
        transfer: { version: 0, remaining: 0, keys: 0, bytes: 0 },
        zone: null,
      },
    );
  });

  test("/cluster/members reports each member's load: keys, hints and disk bytes", async () => {
    for (let i = 0; i < 5; i++) await fetch(`${t.url}/kv/load-${i}`, { method: "PUT", body: "x" });
    // The node reads its storage stats at most once a second.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const body = (await (await fetch(`${t.url}/cluster/members`)).json()) as {
      members: { load: { keys: number; hints: number; diskBytes: number } }[];
    };
    const load = body.members[0]?.load;
    assert.ok(load !== undefined && load.keys >= 5, JSON.stringify(load));
    assert.equal(load.hints, 0);
    assert.ok(load.diskBytes > 0);
  });

  test("/cluster/ring has Q preference lists, each naming the one node", async () => {
    const ring = (await (await fetch(`${t.url}/cluster/ring`)).json()) as {
      partitions: number;
      n: number;
      r: number;
      w: number;
      owners: string[][];
      next: string[][] | null;
    };
    assert.equal(ring.partitions, 64);
    assert.equal(ring.next, null, "no ring change pending");
    assert.deepEqual([ring.n, ring.r, ring.w], [1, 1, 1]);
    assert.equal(ring.owners.length, 64);
    for (const list of ring.owners) assert.deepEqual(list, ["solo"]);
  });

  test("/debug/replicas shows what the node holds for a key: values, deletion and context", async () => {
    const put = await fetch(`${t.url}/kv/dbg`, {
      method: "PUT",
      body: "one",
      headers: { "content-type": "text/plain" },
    });
    const info = (await (await fetch(`${t.url}/debug/replicas/dbg`)).json()) as {
      key: string;
      partition: number;
      replicas: { id: string; status: string; values: string[]; deleted: boolean; context: string }[];
      fallbacks: unknown[];
    };
    assert.equal(info.key, "dbg");
    assert.ok(Number.isInteger(info.partition) && info.partition >= 0 && info.partition < 64);
    assert.equal(info.replicas.length, 1);
    const [replica] = info.replicas;
    assert.equal(replica?.id, "solo");
    assert.equal(replica?.status, "up");
    assert.deepEqual(replica?.values, [Buffer.from("one").toString("base64")]);
    assert.equal(replica?.deleted, false);
    assert.equal(replica?.context, put.headers.get("x-ringkv-context"));
    assert.deepEqual(info.fallbacks, []);
    await fetch(`${t.url}/kv/dbg`, { method: "DELETE" });
    const deleted = (await (await fetch(`${t.url}/debug/replicas/dbg`)).json()) as {
      replicas: { deleted: boolean; values: string[] }[];
    };
    assert.equal(deleted.replicas[0]?.deleted, true);
    assert.deepEqual(deleted.replicas[0]?.values, []);
  });

  test("/metrics counts requests per operation with latency histograms and storage sizes", async () => {
    await fetch(`${t.url}/kv/m`, { method: "PUT", body: "x" });
    await fetch(`${t.url}/kv/m`);
    await fetch(`${t.url}/kv/missing-metric`);
    const r = await fetch(`${t.url}/metrics`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get("content-type") ?? "", /^text\/plain/);
    const text = await r.text();
    assert.match(text, /ringkv_kv_requests_total\{op="put",outcome="ok",node="solo"\} [1-9]/);
    assert.match(text, /ringkv_kv_requests_total\{op="get",outcome="not_found",node="solo"\} [1-9]/);
    assert.match(text, /ringkv_kv_duration_seconds_bucket\{le="0.005",node="solo",op="get"\} [1-9]/);
    assert.match(text, /ringkv_storage_entries\{store="objects",node="solo"\} [1-9]/);
    assert.match(text, /ringkv_storage_disk_bytes\{node="solo"\} [1-9]/);
    assert.match(
      text,
      /ringkv_http_requests_total\{route="kv",method="GET",status="404",node="solo"\} [1-9]/,
    );
    // The cluster as this node sees it: one active member that is up, the first ring, all partitions.
    assert.match(text, /ringkv_members\{state="active",status="up",node="solo"\} 1\n/);
    assert.match(text, /ringkv_ring_version\{node="solo"\} [1-9]/);
    assert.match(text, /ringkv_partitions_owned\{node="solo"\} [1-9]/);
    assert.match(text, /ringkv_transfer_partitions_remaining\{node="solo"\} 0\n/);
  });
});
