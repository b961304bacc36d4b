import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { decodeContext, encodeContext } from "../../src/core/causality/index.js";
import { startTestNode, type TestNode } from "../support/test-node.js";

const CTX = "x-ringkv-context";

describe("conditional writes (If-None-Match, If-Match) on a one-node cluster", () => {
  let t: TestNode;
  before(async () => {
    t = await startTestNode();
  });
  after(async () => {
    await t.destroy();
  });

  const send = (
    method: "GET" | "PUT" | "DELETE",
    key: string,
    headers: Record<string, string> = {},
    body?: string,
  ): Promise<Response> => fetch(`${t.url}/kv/${key}`, { method, headers, body });
  const text = async (key: string): Promise<[number, string]> => {
    const r = await send("GET", key);
    return [r.status, await r.text()];
  };
  const contextOf = async (key: string): Promise<string> => (await send("GET", key)).headers.get(CTX) ?? "";
  const refused = async (r: Response): Promise<void> => {
    assert.equal(r.status, 412);
    const body = (await r.json()) as { error: string; message: string };
    assert.equal(body.error, "precondition_failed");
    assert.ok(body.message.length > 0);
  };

  test("a create-only write succeeds once; the second is a 412 and the first value stays", async () => {
    const first = await send("PUT", "create-once", { "if-none-match": "*" }, "first");
    assert.equal(first.status, 204);
    assert.ok(first.headers.get(CTX));
    await refused(await send("PUT", "create-once", { "if-none-match": "*" }, "second"));
    assert.deepEqual(await text("create-once"), [200, "first"]);
  });

  test("If-Match with a stale context is a 412; with the current one it is a 204 that supersedes it", async () => {
    assert.equal((await send("PUT", "doc", {}, "v1")).status, 204);
    const stale = await contextOf("doc");
    assert.equal((await send("PUT", "doc", { [CTX]: stale }, "v2")).status, 204);
    await refused(await send("PUT", "doc", { "if-match": stale }, "from a stale read"));
    assert.deepEqual(await text("doc"), [200, "v2"]);
    const current = await contextOf("doc");
    const w = await send("PUT", "doc", { "if-match": current }, "v3");
    assert.equal(w.status, 204);
    assert.equal(w.headers.get("x-ringkv-siblings"), "1");
    assert.deepEqual(await text("doc"), [200, "v3"]);
    // The context the write used was the matched one: the new one descends from it, so the old
    // context no longer matches.
    await refused(await send("PUT", "doc", { "if-match": current }, "v4"));
  });

  test("If-Match compares contexts, not header spellings: a wider MessagePack integer still matches", async () => {
    assert.equal((await send("PUT", "spelled", {}, "v1")).status, 204);
    const canonical = await contextOf("spelled");
    const [pair, ...rest] = decodeContext(canonical);
    assert.ok(pair !== undefined && rest.length === 0 && pair[1] === 1);
    const actor = Buffer.from(pair[0]);
    assert.ok(actor.length < 32);
    // [actor, 1] with the counter as uint16 (0xcd 0x0001) rather than a positive fixint.
    const wide = Buffer.concat([
      Buffer.from([0x01, 0x92, 0xa0 | actor.length]),
      actor,
      Buffer.from([0xcd, 0, 1]),
    ]);
    const header = wide.toString("base64url");
    assert.notEqual(header, canonical);
    assert.equal(encodeContext(decodeContext(header)), canonical);
    assert.equal((await send("PUT", "spelled", { "if-match": header }, "v2")).status, 204);
    assert.deepEqual(await text("spelled"), [200, "v2"]);
  });

  test("DELETE with If-Match: a stale context is a 412 and keeps the value; the current one deletes", async () => {
    assert.equal((await send("PUT", "to-delete", {}, "v1")).status, 204);
    const stale = await contextOf("to-delete");
    assert.equal((await send("PUT", "to-delete", { [CTX]: stale }, "v2")).status, 204);
    await refused(await send("DELETE", "to-delete", { "if-match": stale }));
    assert.deepEqual(await text("to-delete"), [200, "v2"]);
    const d = await send("DELETE", "to-delete", { "if-match": await contextOf("to-delete") });
    assert.equal(d.status, 204);
    assert.equal((await send("GET", "to-delete")).status, 404);
  });

  test("a create-only write after a delete succeeds and supersedes the tombstone (one value, no sibling)", async () => {
    assert.equal((await send("PUT", "recreate", {}, "old")).status, 204);
    assert.equal((await send("DELETE", "recreate")).status, 204);
    const gone = await send("GET", "recreate");
    assert.equal(gone.status, 404);
    const tombstoneContext = gone.headers.get(CTX) ?? "";
    assert.ok(tombstoneContext, "a tombstone keeps its context");
    const w = await send("PUT", "recreate", { "if-none-match": "*" }, "new");
    assert.equal(w.status, 204);
    assert.equal(w.headers.get("x-ringkv-siblings"), "1");
    assert.deepEqual(await text("recreate"), [200, "new"]);
    const info = (await (await fetch(`${t.url}/debug/replicas/recreate`)).json()) as {
      replicas: { values: string[]; deleted: boolean }[];
    };
    assert.deepEqual(info.replicas[0]?.values, [Buffer.from("new").toString("base64")]);
    // The tombstone's context is stale now: If-Match with it is refused.
    await refused(await send("PUT", "recreate", { "if-match": tombstoneContext }, "late"));
  });

  test("If-Match on a key never written is a 412; a create-only write of a fresh key is a 204", async () => {
    assert.equal((await send("PUT", "seed-ctx", {}, "x")).status, 204);
    const someContext = await contextOf("seed-ctx");
    await refused(await send("PUT", "never-written", { "if-match": someContext }, "v"));
    await refused(await send("DELETE", "never-written", { "if-match": someContext }));
    assert.equal((await send("GET", "never-written")).status, 404);
    assert.equal((await send("PUT", "fresh", { "if-none-match": "*" }, "v")).status, 204);
  });

  test("a careless client's condition headers are 400 JSON errors, nothing is written, and the node keeps serving", async () => {
    assert.equal((await send("PUT", "careful", {}, "kept")).status, 204);
    const current = await contextOf("careful");
    assert.equal((await send("PUT", "other", {}, "o")).status, 204);
    assert.equal((await send("PUT", "other", { [CTX]: await contextOf("other") }, "o2")).status, 204);
    const otherContext = await contextOf("other");
    const cases: { method: "PUT" | "DELETE"; headers: Record<string, string>; message: RegExp }[] = [
      { method: "PUT", headers: { "if-none-match": "abc" }, message: /only "\*"/ },
      { method: "PUT", headers: { "if-none-match": '"*"' }, message: /only "\*"/ },
      { method: "PUT", headers: { "if-none-match": "" }, message: /only "\*"/ },
      { method: "PUT", headers: { "if-none-match": "*, *" }, message: /only "\*"/ },
      { method: "PUT", headers: { "if-match": "not a context!" }, message: /If-Match: context/ },
      { method: "PUT", headers: { "if-match": "" }, message: /If-Match: context is empty/ },
      { method: "PUT", headers: { "if-match": "*" }, message: /not supported/ },
      { method: "PUT", headers: { "if-match": `"${current}"` }, message: /If-Match: context/ },
      { method: "PUT", headers: { "if-match": "A".repeat(10_000) }, message: /limit/ },
      { method: "PUT", headers: { "if-match": current, "if-none-match": "*" }, message: /not both/ },
      { method: "PUT", headers: { "if-none-match": "*", [CTX]: current }, message: /X-Ringkv-Context/ },
      { method: "PUT", headers: { "if-match": current, [CTX]: otherContext }, message: /different contexts/ },
      { method: "DELETE", headers: { "if-none-match": "*" }, message: /PUT only/ },
      { method: "DELETE", headers: { "if-match": "%%%" }, message: /If-Match: context/ },
    ];
    for (const c of cases) {
      const r = await send(c.method, "careful", c.headers, c.method === "PUT" ? "overwritten" : undefined);
      assert.equal(r.status, 400, `${c.method} ${JSON.stringify(c.headers)}`);
      const body = (await r.json()) as { error: string; message: string };
      assert.equal(body.error, "bad_request");
      assert.match(body.message, c.message);
    }
    assert.deepEqual(await text("careful"), [200, "kept"]);
    assert.equal(await contextOf("careful"), current, "no write happened");
    assert.equal((await fetch(`${t.url}/health`)).status, 200);
    // The same If-Match and X-Ringkv-Context together are fine.
    assert.equal((await send("PUT", "careful", { "if-match": current, [CTX]: current }, "v2")).status, 204);
    assert.deepEqual(await text("careful"), [200, "v2"]);
  });

  test("a refused conditional write is counted under its outcome in the metrics", async () => {
    assert.equal((await send("PUT", "counted", { "if-none-match": "*" }, "v")).status, 204);
    await refused(await send("PUT", "counted", { "if-none-match": "*" }, "v"));
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    assert.match(metrics, /outcome="precondition_failed"/);
  });
});
