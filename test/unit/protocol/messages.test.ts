import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { emptyDvvSet, update } from "../../../src/core/causality/index.js";
import { partitionOf } from "../../../src/core/partition.js";
import { encodeStoredObject, type Sibling } from "../../../src/core/stored-object.js";
import {
  decodeReply,
  decodeRequest,
  encodeRequest,
  messageDefOf,
  PeerMessageError,
  peerMessages,
  UnknownMessageError,
} from "../../../src/protocol/index.js";
import { testLimits } from "./test-limits.js";

const limits = testLimits({});

const key = new TextEncoder().encode("user:1");
const partition = partitionOf(key, limits.partitions);
const sibling: Sibling = {
  value: new Uint8Array([1]),
  contentType: "text/plain",
  deleted: false,
  writtenAtMs: 5,
};
const object = update(emptyDvvSet<Sibling>(), [], "n1@a", sibling);

test("a request encodes to the map { type, ...fields } and decodes to its typed body", () => {
  const wire = encodeRequest(peerMessages.kvReplicate, {
    partition,
    key,
    object: encodeStoredObject(object),
  });
  assert.equal(wire.type, "kv_replicate");
  const { def, request } = decodeRequest(wire, limits);
  assert.equal(def, peerMessages.kvReplicate);
  assert.equal(request.type, "kv_replicate");
  if (request.type !== "kv_replicate") return;
  assert.deepEqual(request.object, object);
  assert.equal(request.partition, partition);
});

test("a key filed under another partition is refused before any handler sees it", () => {
  const wrong = encodeRequest(peerMessages.kvRead, { partition: (partition + 1) % limits.partitions, key });
  assert.throws(
    () => decodeRequest(wrong, limits),
    (e: unknown) => e instanceof PeerMessageError && /partition/.test(e.message),
  );
});

test("a forwarded write asking for more replicas than its key's n, or bytes that are not a stored object, are refused", () => {
  const put = {
    key,
    value: new Uint8Array(1),
    contentType: "a",
    deleted: false,
    writtenAtMs: 1,
    context: [],
    w: 4,
    pw: 0,
    timeoutMs: 100,
  };
  assert.throws(
    () => decodeRequest(encodeRequest(peerMessages.kvPut, put), limits),
    /kv_put: w above the key's n=3/,
  );
  // A namespace with n=5 on a cluster of N=3: w=4 is its quorum, sent with the key's n.
  const wide = decodeRequest(encodeRequest(peerMessages.kvPut, { ...put, n: 5 }), limits);
  assert.equal(wide.request.type === "kv_put" && wide.request.w, 4);
  assert.throws(
    () => decodeRequest(encodeRequest(peerMessages.kvPut, { ...put, w: 6, n: 5 }), limits),
    /w above/,
  );
  assert.throws(
    () => decodeRequest(encodeRequest(peerMessages.kvPut, { ...put, n: 17 }), limits),
    /kv_put\.n/,
  );
  const garbage = encodeRequest(peerMessages.kvHint, {
    target: "n2",
    partition,
    key,
    object: new Uint8Array([1, 2, 3]),
  });
  assert.throws(
    () => decodeRequest(garbage, limits),
    (e: unknown) => e instanceof PeerMessageError && /kv_hint\.object/.test(e.message),
  );
});

test("a join reply with settings no cluster can have (r above n) is refused", () => {
  const reply = {
    type: "join_info_ok",
    settings: { n: 3, r: 5, w: 2, partitions: 64, conflictMode: "causal" },
    state: { members: [], ring: null },
  };
  assert.throws(
    () => decodeReply(peerMessages.joinInfo, reply, limits, "seed:7000"),
    /--r must be an integer in 1\.\.3/,
  );
});

test("a reply of the wrong type is refused, an unknown request type is refused by name", () => {
  assert.throws(
    () => decodeReply(peerMessages.kvRead, { type: "kv_hint_ok" }, limits, "p:1"),
    /kv_read_ok was expected/,
  );
  assert.throws(() => decodeRequest({ type: "kv_frobnicate" }, limits), UnknownMessageError);
});

test("every definition has its own type and reply type, and is found by its type", () => {
  const defs = Object.values(peerMessages);
  assert.equal(new Set(defs.map((d) => d.type)).size, defs.length);
  for (const d of defs) assert.equal(messageDefOf(d.type), d);
});

/** Every .ts file under a directory. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith(".ts") ? [path] : [];
  });
}

test("peer message type names are spelled in src/protocol/messages.ts only", () => {
  const names = Object.values(peerMessages).flatMap((d) => [d.type, d.replyType]);
  const files = sources(join(process.cwd(), "src")).filter((f) =>
    names.some((name) => readFileSync(f, "utf8").includes(`"${name}"`)),
  );
  assert.deepEqual(
    files.map((f) => f.slice(process.cwd().length + 1)),
    ["src/protocol/messages.ts"],
  );
});

test("the sender's ring version is optional on writes and hints, and bounded by the counter ceiling", () => {
  const body = { partition, key, object: encodeStoredObject(object) };
  const without = decodeRequest(encodeRequest(peerMessages.kvReplicate, body), limits).request;
  assert.ok(without.type === "kv_replicate" && without.ringVersion === undefined);
  const withVersion = decodeRequest(
    encodeRequest(peerMessages.kvHint, { ...body, target: "n2", ringVersion: 2 ** 40 }),
    limits,
  ).request;
  assert.ok(withVersion.type === "kv_hint" && withVersion.ringVersion === 2 ** 40);
  for (const ringVersion of [2 ** 40 + 1, -1, 1.5]) {
    assert.throws(
      () => decodeRequest(encodeRequest(peerMessages.kvReplicate, { ...body, ringVersion }), limits),
      (e: unknown) => e instanceof PeerMessageError && /ringVersion/.test(e.message),
      `ringVersion ${ringVersion} is refused`,
    );
  }
});
