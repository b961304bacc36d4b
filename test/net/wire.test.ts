import assert from "node:assert/strict";
import { test } from "node:test";
import { Packr } from "msgpackr";
import { MalformedFrameError } from "../../src/net/errors.js";
import { decodeHello } from "../../src/net/handshake.js";
import { decodeWireFrame, encodeMessage, envelopePrefix, WireKind } from "../../src/net/wire.js";

const plain = new Packr({ useRecords: false });

test("a request frame is the standard MessagePack array [kind, id, body]", () => {
  const payload = Buffer.concat([
    envelopePrefix(WireKind.request, 70_000),
    encodeMessage({ type: "get", key: "k" }),
  ]);
  assert.deepEqual(plain.unpack(payload), [1, 70_000, { type: "get", key: "k" }]);
  assert.deepEqual(decodeWireFrame(payload), { kind: 1, requestId: 70_000, body: { type: "get", key: "k" } });
});

test("undefined properties are left out instead of using a non-standard extension", () => {
  const bytes = encodeMessage({ type: "x", missing: undefined });
  assert.deepEqual(plain.unpack(bytes), { type: "x" });
  assert.ok(!bytes.includes(0xd4), "no fixext 1");
});

test("payloads that are not frames of this protocol are MalformedFrameError", () => {
  const bad: unknown[] = [
    { type: "x" },
    [1, 1],
    [1, -1, { type: "x" }],
    [1, 2 ** 32, { type: "x" }],
    [1, 1.5, { type: "x" }],
    [7, 1, { type: "x" }],
    [1, 1, { type: 7 }],
    [1, 1, [1, 2]],
    [3, 1, { code: 5, message: "m" }],
    [3, 1, { code: "c" }],
  ];
  for (const value of bad) {
    assert.throws(() => decodeWireFrame(plain.pack(value)), MalformedFrameError, JSON.stringify(value));
  }
  assert.throws(() => decodeWireFrame(Buffer.from([0x93, 0x01])), MalformedFrameError);
  assert.throws(() => decodeWireFrame(Buffer.alloc(0)), MalformedFrameError);
});

test("a handshake needs an integer protocol and non-empty cluster, id and address", () => {
  assert.deepEqual(
    decodeHello(plain.pack({ protocol: 1, cluster: "c", id: "n", address: "h:1", extra: true })),
    {
      protocol: 1,
      cluster: "c",
      id: "n",
      address: "h:1",
    },
  );
  for (const value of [
    [1, "c", "n", "h:1"],
    { protocol: "1", cluster: "c", id: "n", address: "h:1" },
    { protocol: 1, cluster: "", id: "n", address: "h:1" },
    { protocol: 1, cluster: "c", address: "h:1" },
  ]) {
    assert.throws(() => decodeHello(plain.pack(value)), MalformedFrameError, JSON.stringify(value));
  }
});
