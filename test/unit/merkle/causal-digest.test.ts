import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { emptyDvvSet, join, sync, update } from "../../../src/core/causality/index.js";
import { causalDigest } from "../../../src/core/merkle/index.js";
import {
  decodeStoredObject,
  encodeStoredObject,
  type Sibling,
  type StoredObject,
  tombstone,
} from "../../../src/core/stored-object.js";

const sibling = (text: string, writtenAtMs = 1000, contentType = "text/plain"): Sibling => ({
  value: new TextEncoder().encode(text),
  contentType,
  deleted: false,
  writtenAtMs,
});
const hex = (o: StoredObject): string => Buffer.from(causalDigest(o)).toString("hex");
const first = (actor: string, s: Sibling): StoredObject => update(emptyDvvSet(), [], actor, s);

/** Two coordinators wrote concurrently: siblings x (dot a:1) and y (dot b:1). */
function concurrent(x: Sibling, y: Sibling): StoredObject {
  return sync(first("a", x), first("b", y));
}

test("equal objects built independently, or read back from their encoding, have equal 16-byte digests", () => {
  const one = concurrent(sibling("x"), sibling("y"));
  const other = sync(first("b", sibling("y")), first("a", sibling("x")));
  assert.equal(causalDigest(one).length, 16);
  assert.equal(hex(one), hex(other));
  assert.equal(hex(decodeStoredObject(encodeStoredObject(one))), hex(one));
});

test("the digest differs when a sibling, a counter, a dot or any field of a value differs", () => {
  const base = first("a", sibling("x"));
  const variants: Record<string, StoredObject> = {
    "an extra sibling": update(base, [], "a", sibling("y")),
    "a higher counter with the same value": update(base, join(base), "a", sibling("x")),
    "another actor": first("b", sibling("x")),
    "another value": first("a", sibling("z")),
    "another content type": first("a", sibling("x", 1000, "application/json")),
    "another write time": first("a", sibling("x", 1001)),
    "a tombstone": first("a", tombstone(1000)),
    "the same siblings under swapped dots": concurrent(sibling("y"), sibling("x")),
  };
  const seen = new Map([[hex(base), "base"]]);
  seen.set(hex(concurrent(sibling("x"), sibling("y"))), "two siblings");
  for (const [name, object] of Object.entries(variants)) {
    const digest = hex(object);
    assert.equal(seen.get(digest), undefined, `${name} has the digest of ${seen.get(digest)}`);
    seen.set(digest, name);
  }
});

test("a one-byte change deep inside a large value changes the digest", () => {
  const big = new Uint8Array(200 * 1024).fill(7);
  const changed = Uint8Array.from(big);
  changed[150 * 1024] = 8;
  const object = (value: Uint8Array): StoredObject =>
    first("a", { value, contentType: "application/octet-stream", deleted: false, writtenAtMs: 5 });
  assert.equal(hex(object(big)), hex(object(Uint8Array.from(big))));
  assert.notEqual(hex(object(big)), hex(object(changed)));
});

/**
 * The documented encoding, written out independently for one sibling: a node running another
 * build must compute the same digest, so any change to the encoding has to fail here.
 */
function referenceDigest(actor: string, counter: number, s: Sibling): string {
  const actorBytes = Buffer.from(actor, "utf8");
  const typeBytes = Buffer.from(s.contentType, "utf8");
  const header = Buffer.alloc(1 + 4 + 1 + actorBytes.length + 8 + 4 + 1 + 8 + 4 + typeBytes.length + 4);
  let at = header.writeUInt8(1, 0);
  at = header.writeUInt32BE(1, at);
  at = header.writeUInt8(actorBytes.length, at);
  at += actorBytes.copy(header, at);
  at = header.writeDoubleBE(counter, at);
  at = header.writeUInt32BE(1, at);
  at = header.writeUInt8(s.deleted ? 1 : 0, at);
  at = header.writeDoubleBE(s.writtenAtMs, at);
  at = header.writeUInt32BE(typeBytes.length, at);
  at += typeBytes.copy(header, at);
  header.writeUInt32BE(s.value.length, at);
  return createHash("sha256").update(header).update(s.value).digest().subarray(0, 16).toString("hex");
}

test("the digest follows the documented encoding for small values and for streamed large ones", () => {
  for (const bytes of [0, 10, 16 * 1024 - 60, 16 * 1024, 100 * 1024]) {
    const s: Sibling = {
      value: new Uint8Array(bytes).fill(3),
      contentType: "tëxt",
      deleted: false,
      writtenAtMs: 1.7e12,
    };
    const object = update(first("node-é", sibling("old")), [["node-é", 1]], "node-é", s);
    assert.equal(hex(object), referenceDigest("node-é", 2, s), `value of ${bytes} bytes`);
  }
});

test("digests are equal exactly when the objects are equal, over random write histories", () => {
  const writeArb = fc.record({
    actor: fc.constantFrom("a", "b", "c"),
    withContext: fc.boolean(),
    text: fc.constantFrom("x", "y"),
  });
  fc.assert(
    fc.property(
      fc.array(fc.array(writeArb, { maxLength: 4 }), { minLength: 2, maxLength: 6 }),
      (histories) => {
        const objects = histories.map((writes) =>
          writes.reduce<StoredObject>(
            (o, w) => update(o, w.withContext ? join(o) : [], w.actor, sibling(w.text)),
            emptyDvvSet(),
          ),
        );
        for (const x of objects) {
          for (const y of objects) assert.equal(hex(x) === hex(y), isDeepStrictEqual(x, y));
        }
      },
    ),
    { numRuns: 300 },
  );
});
