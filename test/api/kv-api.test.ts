import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestNode, type TestNode } from "../support/test-node.js";

const CTX = "x-ringkv-context";

describe("client HTTP API on a one-node cluster", () => {
  let t: TestNode;
  before(async () => {
    t = await startTestNode({ limits: { valueBytesMax: 4096, siblingsMax: 5, siblingsWarn: 3 } });
  });
  after(async () => {
    await t.destroy();
  });

  const url = (path: string): string => `${t.url}${path}`;
  const put = (
    key: string,
    body: string | Uint8Array,
    headers: Record<string, string> = {},
    query = "",
  ): Promise<Response> => fetch(url(`/kv/${key}${query}`), { method: "PUT", body, headers });

  test("a written value reads back with its content type and a context", async () => {
    const w = await put("greeting", "hello", { "content-type": "text/plain; charset=utf-8" });
    assert.equal(w.status, 204);
    assert.ok(w.headers.get(CTX));
    const r = await fetch(url("/kv/greeting"));
    assert.equal(r.status, 200);
    assert.equal(await r.text(), "hello");
    assert.equal(r.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(r.headers.get(CTX), w.headers.get(CTX));
  });

  test("a write with no Content-Type reads back as application/octet-stream; binary and empty values round-trip", async () => {
    const bytes = new Uint8Array([0, 255, 10, 13, 0, 128]);
    assert.equal((await put("binary", bytes)).status, 204);
    const r = await fetch(url("/kv/binary"));
    assert.equal(r.headers.get("content-type"), "application/octet-stream");
    assert.deepEqual(new Uint8Array(await r.arrayBuffer()), bytes);
    assert.equal((await put("empty", "")).status, 204);
    const e = await fetch(url("/kv/empty"));
    assert.equal(e.status, 200);
    assert.equal((await e.arrayBuffer()).byteLength, 0);
  });

  test("a key never written is a 404 JSON error with no context", async () => {
    const r = await fetch(url("/kv/never-written"));
    assert.equal(r.status, 404);
    assert.equal(r.headers.get(CTX), null);
    assert.deepEqual(await r.json(), { error: "not_found", message: "key not found" });
  });

  test("two context-less writes become siblings (300), and a write with the 300's context resolves them", async () => {
    assert.equal((await put("cart", "apples", { "content-type": "text/plain" })).status, 204);
    assert.equal((await put("cart", Buffer.from("pears"))).status, 204);
    const r = await fetch(url("/kv/cart"));
    assert.equal(r.status, 300);
    assert.equal(r.headers.get("content-type"), "application/json; charset=utf-8");
    const body = (await r.json()) as { context: string; siblings: { value: string; contentType: string }[] };
    assert.equal(body.context, r.headers.get(CTX));
    const values = body.siblings.map((s) => Buffer.from(s.value, "base64").toString()).sort();
    assert.deepEqual(values, ["apples", "pears"]);
    assert.deepEqual(body.siblings.map((s) => s.contentType).sort(), [
      "application/octet-stream",
      "text/plain",
    ]);
    assert.equal((await put("cart", "apples,pears", { [CTX]: body.context })).status, 204);
    const resolved = await fetch(url("/kv/cart"));
    assert.equal(resolved.status, 200);
    assert.equal(await resolved.text(), "apples,pears");
  });

  test("a write with the context of a read supersedes that version only", async () => {
    await put("doc", "v1");
    const ctx = (await fetch(url("/kv/doc"))).headers.get(CTX) ?? "";
    await put("doc", "v2", { [CTX]: ctx });
    const r = await fetch(url("/kv/doc"));
    assert.equal(r.status, 200);
    assert.equal(await r.text(), "v2");
    // A second writer with the same stale context is concurrent with v2: both survive.
    await put("doc", "v2-other", { [CTX]: ctx });
    const both = await fetch(url("/kv/doc"));
    assert.equal(both.status, 300);
  });

  test("a plain DELETE makes a plain GET answer 404 and keeps the tombstone's context", async () => {
    await put("gone", "x");
    await put("gone", "y");
    const d = await fetch(url("/kv/gone"), { method: "DELETE" });
    assert.equal(d.status, 204);
    assert.ok(d.headers.get(CTX));
    const r = await fetch(url("/kv/gone"));
    assert.equal(r.status, 404);
    assert.equal(r.headers.get(CTX), d.headers.get(CTX));
    // Writing with the tombstone's context brings the key back with one value.
    await put("gone", "back", { [CTX]: r.headers.get(CTX) ?? "" });
    const back = await fetch(url("/kv/gone"));
    assert.equal(back.status, 200);
    assert.equal(await back.text(), "back");
  });

  test("a DELETE with a context leaves a concurrent write as the surviving value", async () => {
    await put("shared", "old");
    const ctx = (await fetch(url("/kv/shared"))).headers.get(CTX) ?? "";
    await put("shared", "concurrent"); // not seen by the deleter
    assert.equal((await fetch(url("/kv/shared"), { method: "DELETE", headers: { [CTX]: ctx } })).status, 204);
    const r = await fetch(url("/kv/shared"));
    assert.equal(r.status, 200);
    assert.equal(await r.text(), "concurrent");
  });

  test("DELETE of a key that does not exist is a 204", async () => {
    assert.equal((await fetch(url("/kv/nothing-here"), { method: "DELETE" })).status, 204);
  });

  test("keys are percent-decoded UTF-8: slashes, spaces and non-ASCII are one key each", async () => {
    for (const key of ["a/b", "with space", "ключ", "emoji-😀", "%", "?#&="]) {
      const enc = encodeURIComponent(key);
      assert.equal((await put(enc, `value of ${key}`)).status, 204, key);
      const r = await fetch(url(`/kv/${enc}`));
      assert.equal(await r.text(), `value of ${key}`, key);
    }
    const dbg = (await (await fetch(url(`/debug/replicas/${encodeURIComponent("a/b")}`))).json()) as {
      key: string;
    };
    assert.equal(dbg.key, "a/b");
  });

  test("a key of exactly 1024 bytes is accepted, 1025 is 414", async () => {
    assert.equal((await put("k".repeat(1024), "v")).status, 204);
    const r = await put("k".repeat(1025), "v");
    assert.equal(r.status, 414);
    assert.equal(((await r.json()) as { error: string }).error, "key_too_long");
    // Multi-byte characters count in bytes: 342 x 3 bytes = 1026.
    assert.equal((await put(encodeURIComponent("€".repeat(342)), "v")).status, 414);
  });

  test("a value of exactly the limit is accepted, one byte more is 413", async () => {
    assert.equal((await put("big", new Uint8Array(4096))).status, 204);
    const r = await put("big", new Uint8Array(4097));
    assert.equal(r.status, 413);
    assert.deepEqual(await r.json(), {
      error: "value_too_large",
      message: "value is larger than the limit of 4096 bytes",
      valueBytesMax: 4096,
    });
    const still = await fetch(url("/kv/big"));
    assert.equal((await still.arrayBuffer()).byteLength, 4096);
  });

  test("r, w and timeout_ms accept 1..N, one, quorum and all", async () => {
    for (const q of ["?r=1", "?r=one", "?r=quorum", "?r=all", "?timeout_ms=1000", "?r=1&timeout_ms=50"]) {
      assert.equal((await fetch(url(`/kv/greeting${q}`))).status, 200, q);
    }
    assert.equal((await put("q", "v", {}, "?w=1")).status, 204);
  });

  test("a key refuses a write that would exceed the sibling limit with 409, and a resolving write still passes", async () => {
    for (let i = 0; i < 5; i++) assert.equal((await put("crowded", `v${i}`)).status, 204);
    const r = await put("crowded", "one too many");
    assert.equal(r.status, 409);
    const body = (await r.json()) as { error: string; siblings: number; siblingsMax: number };
    assert.equal(body.error, "too_many_siblings");
    assert.equal(body.siblingsMax, 5);
    const ctx = (await fetch(url("/kv/crowded"))).headers.get(CTX) ?? "";
    assert.equal((await put("crowded", "merged", { [CTX]: ctx })).status, 204);
    assert.equal(await (await fetch(url("/kv/crowded"))).text(), "merged");
  });

  test("HEAD answers like GET without a body", async () => {
    const r = await fetch(url("/kv/greeting"), { method: "HEAD" });
    assert.equal(r.status, 200);
    assert.ok(r.headers.get(CTX));
    assert.equal((await r.arrayBuffer()).byteLength, 0);
  });
});
