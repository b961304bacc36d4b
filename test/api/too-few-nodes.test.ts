import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestNode, type TestNode } from "../support/test-node.js";

describe("a one-node cluster created with N=3, R=2, W=2", () => {
  let t: TestNode;
  before(async () => {
    t = await startTestNode({ cluster: { n: 3, r: 2, w: 2 } });
  });
  after(async () => {
    await t.destroy();
  });

  test("a W=2 write is a 503 that says the cluster has too few nodes, and stores nothing", async () => {
    const r = await fetch(`${t.url}/kv/lonely`, { method: "PUT", body: "v" });
    assert.equal(r.status, 503);
    const body = (await r.json()) as { error: string; message: string; needed: number; acked: number };
    assert.equal(body.error, "unavailable");
    assert.equal(body.needed, 2);
    assert.match(body.message, /only 1 node\(s\) to hold this key.*w=1/);
    const info = (await (await fetch(`${t.url}/debug/replicas/lonely`)).json()) as {
      replicas: { values: string[] }[];
    };
    assert.deepEqual(info.replicas[0]?.values, []);
  });

  test("w=1 is written and read back with r=1", async () => {
    assert.equal((await fetch(`${t.url}/kv/lonely?w=1`, { method: "PUT", body: "v" })).status, 204);
    const r = await fetch(`${t.url}/kv/lonely?r=1`);
    assert.equal(r.status, 200);
    assert.equal(await r.text(), "v");
  });
});
