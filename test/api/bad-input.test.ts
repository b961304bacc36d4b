import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { rawHttp, statusOf } from "../support/raw-http.js";
import { startTestNode, type TestNode } from "../support/test-node.js";

interface BadCase {
  name: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  status: number;
  error: string;
}

const CASES: BadCase[] = [
  { name: "empty key", path: "/kv/", status: 400, error: "bad_request" },
  { name: "no key segment", path: "/kv", status: 400, error: "bad_request" },
  {
    name: "key in two segments",
    path: "/kv/a/b/c",
    method: "PUT",
    body: "x",
    status: 400,
    error: "bad_request",
  },
  { name: "malformed percent escape", path: "/kv/%zz", status: 400, error: "bad_request" },
  {
    name: "percent escape of invalid UTF-8",
    path: "/kv/%ff%fe",
    method: "PUT",
    body: "x",
    status: 400,
    error: "bad_request",
  },
  {
    name: "key over 1024 bytes",
    path: `/kv/${"x".repeat(1025)}`,
    method: "PUT",
    body: "x",
    status: 414,
    error: "key_too_long",
  },
  { name: "r=0", path: "/kv/k?r=0", status: 400, error: "bad_request" },
  { name: "w above N", path: "/kv/k?w=99", method: "PUT", body: "x", status: 400, error: "bad_request" },
  { name: "non-numeric r", path: "/kv/k?r=abc", status: 400, error: "bad_request" },
  { name: "negative w", path: "/kv/k?w=-1", method: "PUT", body: "x", status: 400, error: "bad_request" },
  { name: "fractional r", path: "/kv/k?r=1.5", status: 400, error: "bad_request" },
  { name: "empty r", path: "/kv/k?r=", status: 400, error: "bad_request" },
  { name: "timeout_ms=0", path: "/kv/k?timeout_ms=0", status: 400, error: "bad_request" },
  {
    name: "timeout_ms above the maximum",
    path: "/kv/k?timeout_ms=99999999",
    status: 400,
    error: "bad_request",
  },
  {
    name: "unknown query parameter",
    path: "/kv/k?W=2",
    method: "PUT",
    body: "x",
    status: 400,
    error: "bad_request",
  },
  { name: "repeated query parameter", path: "/kv/k?r=1&r=1", status: 400, error: "bad_request" },
  {
    name: "garbage context",
    path: "/kv/k",
    method: "PUT",
    body: "x",
    headers: { "x-ringkv-context": "not a context!" },
    status: 400,
    error: "bad_request",
  },
  {
    name: "base64 context of random bytes",
    path: "/kv/k",
    method: "PUT",
    body: "x",
    headers: { "x-ringkv-context": "AAECAwQFBgcICQ" },
    status: 400,
    error: "bad_request",
  },
  {
    name: "context too long",
    path: "/kv/k",
    method: "DELETE",
    headers: { "x-ringkv-context": "A".repeat(9000) },
    status: 400,
    error: "bad_request",
  },
  {
    name: "value over the limit",
    path: "/kv/k",
    method: "PUT",
    body: new Uint8Array(2049),
    status: 413,
    error: "value_too_large",
  },
  {
    name: "Content-Type over 256 bytes",
    path: "/kv/k",
    method: "PUT",
    body: "x",
    headers: { "content-type": `text/${"x".repeat(300)}` },
    status: 400,
    error: "bad_request",
  },
  {
    name: "POST on a key",
    path: "/kv/k",
    method: "POST",
    body: "x",
    status: 405,
    error: "method_not_allowed",
  },
  {
    name: "PATCH on a key",
    path: "/kv/k",
    method: "PATCH",
    body: "x",
    status: 405,
    error: "method_not_allowed",
  },
  {
    name: "PUT on /health",
    path: "/health",
    method: "PUT",
    body: "x",
    status: 405,
    error: "method_not_allowed",
  },
  { name: "unknown path", path: "/nope", status: 404, error: "not_found" },
  { name: "unknown query on /cluster/ring", path: "/cluster/ring?x=1", status: 400, error: "bad_request" },
  { name: "empty key on /debug/replicas", path: "/debug/replicas/", status: 400, error: "bad_request" },
];

describe("bad input gets the documented 4xx and the node keeps serving", () => {
  let t: TestNode;
  before(async () => {
    t = await startTestNode({ limits: { valueBytesMax: 2048 } });
    assert.equal((await fetch(`${t.url}/kv/k`, { method: "PUT", body: "kept" })).status, 204);
  });
  after(async () => {
    await t.destroy();
  });

  for (const c of CASES) {
    test(`${c.name}: ${c.status} ${c.error}`, async () => {
      const init: RequestInit = { method: c.method ?? "GET", headers: c.headers ?? {} };
      if (c.body !== undefined) init.body = c.body;
      const r = await fetch(`${t.url}${c.path}`, init);
      assert.equal(r.status, c.status);
      assert.match(r.headers.get("content-type") ?? "", /^application\/json/);
      const body = (await r.json()) as { error: string; message: string };
      assert.equal(body.error, c.error);
      assert.equal(typeof body.message, "string");
      assert.ok(body.message.length > 0);
    });
  }

  test("a 405 names the allowed methods in Allow", async () => {
    const r = await fetch(`${t.url}/kv/k`, { method: "POST", body: "x" });
    assert.equal(r.headers.get("allow"), "GET, HEAD, PUT, DELETE");
  });

  test("headers over the size limit: 431 JSON", async () => {
    const response = await rawHttp(
      t.node.httpAddress.port,
      `GET /kv/k HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
    );
    assert.equal(statusOf(response), 431);
    assert.match(response, /"error":"headers_too_large"/);
  });

  test("a malformed HTTP request line: 400 JSON", async () => {
    const response = await rawHttp(t.node.httpAddress.port, "THIS IS NOT HTTP\r\n\r\n");
    assert.equal(statusOf(response), 400);
    assert.match(response, /"error":"bad_request"/);
  });

  test("a declared Content-Length over the limit is refused before the body is sent", async () => {
    const response = await rawHttp(
      t.node.httpAddress.port,
      "PUT /kv/k HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\nExpect: 100-continue\r\n\r\n",
    );
    assert.equal(statusOf(response), 413);
    assert.doesNotMatch(response, /100 Continue/);
  });

  test("a chunked body over the limit is cut at the limit with 413", async () => {
    const chunk = "a".repeat(1000);
    const chunks = Array.from({ length: 3 }, () => `${(1000).toString(16)}\r\n${chunk}\r\n`).join("");
    const response = await rawHttp(
      t.node.httpAddress.port,
      `PUT /kv/k HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}0\r\n\r\n`,
    );
    assert.equal(statusOf(response), 413);
  });

  test("after all of it, the node still serves and the value written first is intact", async () => {
    const r = await fetch(`${t.url}/kv/k`);
    assert.equal(r.status, 200);
    assert.equal(await r.text(), "kept");
    assert.equal((await fetch(`${t.url}/health`)).status, 200);
  });
});
