import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startTestNode, type TestNode } from "../support/test-node.js";

const CTX = "x-ringkv-context";
const EXPIRES = "x-ringkv-expires-at";

/** Waits (in real time) until the wall clock has passed `deadlineMs`. */
async function untilPast(deadlineMs: number): Promise<void> {
  while (Date.now() < deadlineMs) await sleep(Math.max(1, deadlineMs - Date.now() + 1));
}

describe("expiry (ttl_s) through the client HTTP API of a one-node cluster", () => {
  let t: TestNode;
  before(async () => {
    t = await startTestNode();
  });
  after(async () => {
    await t.destroy();
  });

  const url = (path: string): string => `${t.url}${path}`;
  const put = (
    key: string,
    body: string,
    query = "",
    headers: Record<string, string> = {},
  ): Promise<Response> =>
    fetch(url(`/kv/${key}${query}`), {
      method: "PUT",
      body,
      headers: { "content-type": "text/plain", ...headers },
    });

  test("a value written with ttl_s reads back with X-Ringkv-Expires-At: the write time plus the ttl", async () => {
    const before = Date.now();
    assert.equal((await put("session", "token", "?ttl_s=100")).status, 204);
    const afterWrite = Date.now();
    const r = await fetch(url("/kv/session"));
    assert.equal(r.status, 200);
    assert.equal(await r.text(), "token");
    const expiresAt = Number(r.headers.get(EXPIRES));
    assert.ok(expiresAt >= before + 100_000 && expiresAt <= afterWrite + 100_000, `deadline ${expiresAt}`);
    const head = await fetch(url("/kv/session"), { method: "HEAD" });
    assert.equal(head.headers.get(EXPIRES), String(expiresAt));
  });

  test("a value written without ttl_s has no expiry header", async () => {
    assert.equal((await put("forever", "v")).status, 204);
    const r = await fetch(url("/kv/forever"));
    assert.equal(r.status, 200);
    assert.equal(r.headers.get(EXPIRES), null);
  });

  test("once the deadline passed the key reads 404 with a context, and a write with it supersedes the expired version", async () => {
    assert.equal((await put("short", "soon gone", "?ttl_s=1")).status, 204);
    const live = await fetch(url("/kv/short"));
    assert.equal(live.status, 200);
    const deadline = Number(live.headers.get(EXPIRES));
    await untilPast(deadline);
    const gone = await fetch(url("/kv/short"));
    assert.equal(gone.status, 404);
    assert.deepEqual(await gone.json(), { error: "not_found", message: "key not found" });
    const context = gone.headers.get(CTX);
    assert.ok(context, "the expired version's context is still given");
    assert.equal((await fetch(url("/kv/short"), { method: "HEAD" })).status, 404);
    const w = await put("short", "new", "", { [CTX]: context });
    assert.equal(w.status, 204);
    assert.equal(w.headers.get("x-ringkv-siblings"), "1");
    const r = await fetch(url("/kv/short"));
    assert.equal(r.status, 200);
    assert.equal(await r.text(), "new");
    assert.equal(r.headers.get(EXPIRES), null);
  });

  test("an expired sibling drops out of a 300, leaving the live one; a 300 gives each sibling's deadline", async () => {
    assert.equal((await put("pair", "expiring", "?ttl_s=1")).status, 204);
    assert.equal((await put("pair", "lasting")).status, 204);
    const both = await fetch(url("/kv/pair"));
    assert.equal(both.status, 300);
    const body = (await both.json()) as { siblings: { value: string; expiresAtMs?: number }[] };
    const byValue = new Map(body.siblings.map((s) => [Buffer.from(s.value, "base64").toString(), s]));
    const deadline = byValue.get("expiring")?.expiresAtMs;
    assert.equal(typeof deadline, "number");
    assert.equal(byValue.get("lasting")?.expiresAtMs, undefined);
    await untilPast(deadline as number);
    const one = await fetch(url("/kv/pair"));
    assert.equal(one.status, 200);
    assert.equal(await one.text(), "lasting");
    assert.equal(one.headers.get(EXPIRES), null);
  });

  test("a bad ttl_s is a 400 bad_request, and ttl_s on a read or delete is refused", async () => {
    for (const bad of ["0", "-1", "abc", "1.5", "", "315360001", "99999999999"]) {
      const r = await put("bad-ttl", "v", `?ttl_s=${bad}`);
      assert.equal(r.status, 400, `ttl_s=${bad}`);
      const body = (await r.json()) as { error: string; message: string };
      assert.equal(body.error, "bad_request");
      assert.match(body.message, /ttl_s/);
    }
    const twice = await put("bad-ttl", "v", "?ttl_s=5&ttl_s=6");
    assert.equal(twice.status, 400);
    assert.equal(((await twice.json()) as { error: string }).error, "bad_request");
    assert.equal((await put("bad-ttl", "v", "?ttl_s=315360000")).status, 204, "the documented maximum");
    for (const method of ["GET", "DELETE"]) {
      const r = await fetch(url("/kv/bad-ttl?ttl_s=5"), { method });
      assert.equal(r.status, 400, method);
      assert.equal(((await r.json()) as { error: string }).error, "bad_request");
    }
    // Nothing of the refused requests was applied: the value is still there, deleted by no one.
    assert.equal((await fetch(url("/kv/bad-ttl"))).status, 200);
  });
});
