import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestNode, type TestNode } from "../support/test-node.js";

const CTX = "x-ringkv-context";

describe("client HTTP API on a one-node cluster created with --conflict-mode lww", () => {
  let t: TestNode;
  before(async () => {
    t = await startTestNode({ cluster: { n: 1, conflictMode: "lww" } });
  });
  after(async () => {
    await t.destroy();
  });

  const url = (path: string): string => `${t.url}${path}`;
  const put = (key: string, body: string, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(url(`/kv/${key}`), { method: "PUT", body, headers });

  test("the ring reports the cluster's conflict mode", async () => {
    const ring = (await (await fetch(url("/cluster/ring"))).json()) as { conflictMode: string };
    assert.equal(ring.conflictMode, "lww");
  });

  test("two context-less writes leave one value, the later one: a read is 200, never 300", async () => {
    assert.equal((await put("cart", "apples")).status, 204);
    const second = await put("cart", "pears");
    assert.equal(second.status, 204);
    assert.ok(second.headers.get(CTX), "a write still returns a context");
    const r = await fetch(url("/kv/cart"));
    assert.equal(r.status, 200);
    assert.equal(await r.text(), "pears");
    assert.equal(r.headers.get(CTX), second.headers.get(CTX));
  });

  test("concurrent writes with one stale context leave exactly one of them", async () => {
    await put("doc", "v1");
    const ctx = (await fetch(url("/kv/doc"))).headers.get(CTX) ?? "";
    const writes = await Promise.all(
      ["a", "b", "c", "d", "e"].map((v) => put("doc", `v2-${v}`, { [CTX]: ctx })),
    );
    assert.deepEqual(
      writes.map((w) => w.status),
      [204, 204, 204, 204, 204],
    );
    const r = await fetch(url("/kv/doc"));
    assert.equal(r.status, 200);
    assert.match(await r.text(), /^v2-[a-e]$/);
  });

  test("a delete hides the value (404 with a context) and a later write brings the key back", async () => {
    await put("gone", "x");
    assert.equal((await fetch(url("/kv/gone"), { method: "DELETE" })).status, 204);
    const r = await fetch(url("/kv/gone"));
    assert.equal(r.status, 404);
    assert.ok(r.headers.get(CTX));
    await put("gone", "back");
    const back = await fetch(url("/kv/gone"));
    assert.equal(back.status, 200);
    assert.equal(await back.text(), "back");
  });

  test("a malformed context is still a 400", async () => {
    const r = await put("doc", "v", { [CTX]: "not a context!" });
    assert.equal(r.status, 400);
  });
});
