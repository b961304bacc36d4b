import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  BadWireRequestError,
  decodeAnswer,
  decodeClientHello,
  decodeNodeHello,
  decodeRequest,
  encodeAnswer,
  encodeClientHello,
  encodeNodeHello,
  encodeRequest,
  HEADERS_PER_REQUEST_MAX,
  PREFACE,
} from "../../../src/client-wire/index.js";
import { MalformedFrameError } from "../../../src/net/errors.js";
import { encodeValue } from "../../../src/net/wire.js";

const HEADERS_BYTES_MAX = 16 * 1024;

describe("binary client protocol frames", () => {
  test("the preface starts with a byte no HTTP request and no TLS record starts with", () => {
    assert.equal(PREFACE[0], 0x00);
    assert.equal(PREFACE.length, 4);
  });

  test("hellos round-trip; a node hello carries either its id and frame limit or an error", () => {
    assert.deepEqual(decodeClientHello(encodeClientHello({ protocol: 1 })), { protocol: 1 });
    assert.deepEqual(decodeNodeHello(encodeNodeHello({ protocol: 1, node: "n1", frameBytesMax: 4096 })), {
      protocol: 1,
      node: "n1",
      frameBytesMax: 4096,
    });
    assert.deepEqual(decodeNodeHello(encodeNodeHello({ protocol: 1, error: "no" })), {
      protocol: 1,
      error: "no",
    });
    assert.throws(() => decodeClientHello(encodeValue({ protocol: "1" })), MalformedFrameError);
    assert.throws(() => decodeClientHello(encodeValue([1])), MalformedFrameError);
    assert.throws(() => decodeNodeHello(encodeValue({ protocol: 1 })), MalformedFrameError);
    assert.throws(() => decodeClientHello(Buffer.from([0xc1])), MalformedFrameError);
  });

  test("a request round-trips with its body bytes, headers and target", () => {
    const body = Buffer.from("value bytes \u00e9");
    const decoded = decodeRequest(
      encodeRequest({
        id: 7,
        method: "PUT",
        target: "/kv/a%2Fb?w=2",
        headers: { "content-type": "text/plain", "x-ringkv-context": "abc" },
        body,
      }),
      HEADERS_BYTES_MAX,
    );
    assert.equal(decoded.id, 7);
    assert.equal(decoded.method, "PUT");
    assert.equal(decoded.target, "/kv/a%2Fb?w=2");
    assert.deepEqual({ ...decoded.headers }, { "content-type": "text/plain", "x-ringkv-context": "abc" });
    assert.deepEqual(Buffer.from(decoded.body ?? []), body);
    const noBody = decodeRequest(
      encodeRequest({ id: 0, method: "GET", target: "/health", headers: {}, body: undefined }),
      HEADERS_BYTES_MAX,
    );
    assert.equal(noBody.body, undefined);
  });

  test("a frame whose id cannot be read is a broken stream; a bad field is a 400 under its id", () => {
    for (const bad of [
      encodeValue({}),
      encodeValue([1, "GET", "/"]),
      encodeValue(["x", "GET", "/", {}, null]),
    ]) {
      assert.throws(
        () => decodeRequest(bad, HEADERS_BYTES_MAX),
        (error) => error instanceof MalformedFrameError && !(error instanceof BadWireRequestError),
      );
    }
    const cases: unknown[][] = [
      [5, "get", "/kv/a", {}, null],
      [5, "GET", "kv/a", {}, null],
      [5, "GET", "/kv/a", [], null],
      [5, "GET", "/kv/a", { "Content-Type": "x" }, null],
      [5, "GET", "/kv/a", { "x-a": "one\r\nx-b: two" }, null],
      [5, "GET", "/kv/a", { "x-a": 3 }, null],
      [5, "PUT", "/kv/a", {}, "a string body"],
      [5, "GET", `/${"a".repeat(HEADERS_BYTES_MAX)}`, {}, null],
      [5, "GET", "/kv/a", { "x-big": "v".repeat(HEADERS_BYTES_MAX) }, null],
      [
        5,
        "GET",
        "/kv/a",
        Object.fromEntries(Array.from({ length: HEADERS_PER_REQUEST_MAX + 1 }, (_, i) => [`h${i}`, "v"])),
        null,
      ],
    ];
    for (const fields of cases) {
      assert.throws(
        () => decodeRequest(encodeValue(fields), HEADERS_BYTES_MAX),
        (error) => error instanceof BadWireRequestError && error.requestId === 5,
        JSON.stringify(fields).slice(0, 80),
      );
    }
  });

  test("a header named __proto__ pollutes nothing: the headers map has no prototype", () => {
    const payload = Buffer.concat([
      // [1, "GET", "/kv/a", {"__proto__": "x"}, nil] written by hand: msgpackr would not emit it.
      Buffer.from([0x95, 0x01, 0xa3]),
      Buffer.from("GET"),
      Buffer.from([0xa5]),
      Buffer.from("/kv/a"),
      Buffer.from([0x81, 0xa9]),
      Buffer.from("__proto__"),
      Buffer.from([0xa1]),
      Buffer.from("x"),
      Buffer.from([0xc0]),
    ]);
    const request = decodeRequest(payload, HEADERS_BYTES_MAX);
    assert.equal(Object.getPrototypeOf(request.headers), null);
    assert.equal(({} as Record<string, unknown>).x, undefined);
    assert.equal(Object.hasOwn(Object.prototype, "x"), false);
  });

  test("an answer round-trips; a status outside 100..599 or headers that are not strings are refused", () => {
    const answer = decodeAnswer(
      encodeAnswer({ id: 9, status: 300, headers: { "x-ringkv-context": "c" }, body: Buffer.from("{}") }),
    );
    assert.equal(answer.id, 9);
    assert.equal(answer.status, 300);
    assert.deepEqual(answer.headers, { "x-ringkv-context": "c" });
    assert.equal(Buffer.from(answer.body ?? []).toString(), "{}");
    assert.throws(() => decodeAnswer(encodeValue([9, 99, {}, null])), MalformedFrameError);
    assert.throws(() => decodeAnswer(encodeValue([9, 200, { a: 1 }, null])), MalformedFrameError);
    assert.throws(() => decodeAnswer(encodeValue([9, 200, {}, "text"])), MalformedFrameError);
  });
});
