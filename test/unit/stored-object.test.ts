import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { pack } from "msgpackr";
import { emptyDvvSet, join, sync, update, values } from "../../src/core/causality/index.js";
import {
  CorruptObjectError,
  decodeStoredObject,
  encodeStoredObject,
  isTombstoneOnly,
  liveSiblings,
  type Sibling,
  type StoredObject,
  tombstone,
} from "../../src/core/stored-object.js";

const writtenAtMs = fc.integer({ min: 0, max: 2 ** 48 });

const liveSibling: fc.Arbitrary<Sibling> = fc.record(
  {
    value: fc.uint8Array({ maxLength: 64 }),
    contentType: fc.string({ maxLength: 20 }),
    deleted: fc.constant(false),
    writtenAtMs,
  },
  // Decoded siblings are plain objects, and deepEqual compares prototypes.
  { noNullPrototype: true },
);

const sibling = fc.oneof(liveSibling, writtenAtMs.map(tombstone));

const storedObject: fc.Arbitrary<StoredObject> = fc
  .uniqueArray(
    fc.tuple(
      fc.string({ unit: "binary", minLength: 1, maxLength: 30 }),
      fc.array(sibling, { maxLength: 4 }),
      fc.integer({ min: 0, max: 1000 }),
    ),
    { selector: ([actor]) => actor, maxLength: 5 },
  )
  .map((raw) => ({
    entries: raw
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([actor, siblings, extra]) => ({
        actor,
        counter: Math.max(1, siblings.length + extra),
        values: siblings,
      })),
  }));

function decodesOrRejects(bytes: Uint8Array): void {
  try {
    decodeStoredObject(bytes);
  } catch (error) {
    assert.ok(error instanceof CorruptObjectError, `threw ${String(error)}`);
  }
}

function live(text: string, at = 1): Sibling {
  return {
    value: new TextEncoder().encode(text),
    contentType: "text/plain",
    deleted: false,
    writtenAtMs: at,
  };
}

test("any stored object round-trips through its encoding", () => {
  fc.assert(
    fc.property(storedObject, (o) => {
      assert.deepEqual(decodeStoredObject(encodeStoredObject(o)), o);
    }),
  );
});

test("the encoding starts with format version byte 0x01 and stores values as raw bytes", () => {
  const value = new Uint8Array(1000).fill(7);
  const o = update(emptyDvvSet<Sibling>(), [], "a", {
    value,
    contentType: "x",
    deleted: false,
    writtenAtMs: 5,
  });
  const bytes = encodeStoredObject(o);
  assert.equal(bytes[0], 1);
  assert.ok(bytes.length < 1000 + 30, `${bytes.length} bytes`);
});

test("decoded values are plain Uint8Array views of the decoded bytes, not copies", () => {
  const o = update(emptyDvvSet<Sibling>(), [], "a", live("hello"));
  const bytes = encodeStoredObject(o).slice();
  const decoded = decodeStoredObject(bytes);
  const value = liveSiblings(decoded)[0]?.value;
  assert.equal(new TextDecoder().decode(value), "hello");
  assert.equal(Object.getPrototypeOf(value), Uint8Array.prototype);
  // The storage engines and the transport hand decode bytes the caller owns; decode relies on it.
  assert.equal(value?.buffer, bytes.buffer);
});

test("an object is encoded once: encoding it again, or encoding a decoded object, gives the same bytes", () => {
  const o = update(emptyDvvSet<Sibling>(), [], "a", live("hello"));
  const bytes = encodeStoredObject(o);
  assert.equal(encodeStoredObject(o), bytes);
  const received = bytes.slice();
  const decoded = decodeStoredObject(received);
  assert.equal(encodeStoredObject(decoded), received, "a received object is stored as received");
  assert.deepEqual(encodeStoredObject({ entries: [...o.entries] }), bytes, "an equal object encodes equally");
});

test("decoding random bytes throws CorruptObjectError and nothing else", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, versioned) => {
      decodesOrRejects(versioned ? Uint8Array.from([1, ...bytes]) : bytes);
    }),
    { numRuns: 1000 },
  );
});

test("decoding truncated or bit-flipped encodings throws CorruptObjectError or yields a valid object", () => {
  fc.assert(
    fc.property(storedObject, fc.nat(), fc.nat(), fc.integer({ min: 0, max: 7 }), (o, cut, at, bit) => {
      const bytes = encodeStoredObject(o);
      decodesOrRejects(bytes.slice(0, cut % bytes.length));
      const flipped = bytes.slice();
      const i = at % flipped.length;
      flipped[i] = (flipped[i] as number) ^ (1 << bit);
      decodesOrRejects(flipped);
    }),
    { numRuns: 500 },
  );
});

test("decoding valid MessagePack of the wrong shape throws CorruptObjectError", () => {
  fc.assert(
    fc.property(fc.anything(), (value) => decodesOrRejects(Uint8Array.from([1, ...pack(value)]))),
    { numRuns: 300 },
  );
  const wrong: unknown[] = [
    [["a", 1]],
    [["a", 0, []]],
    [
      [
        "a",
        1,
        [
          [new Uint8Array(0), "", true, 1],
          [new Uint8Array(0), "", true, 1],
        ],
      ],
    ],
    [["a", 1, [[new Uint8Array(1), "", true, 1]]]],
    [["a", 1, [["text", "", false, 1]]]],
    [["a", 1, [[new Uint8Array(1), "", false, "1"]]]],
    [
      ["b", 1, []],
      ["a", 1, []],
    ],
    { entries: [] },
  ];
  for (const value of wrong) {
    assert.throws(() => decodeStoredObject(Uint8Array.from([1, ...pack(value)])), CorruptObjectError);
  }
  assert.throws(() => decodeStoredObject(new Uint8Array(0)), CorruptObjectError);
  assert.throws(() => decodeStoredObject(Uint8Array.of(2, 0x90)), /version 2/);
});

test("an object whose only values are tombstones is tombstone-only and has no live siblings", () => {
  let o: StoredObject = update(emptyDvvSet<Sibling>(), [], "a", live("v1"));
  assert.ok(!isTombstoneOnly(o));
  o = update(o, join(o), "a", tombstone(2));
  assert.ok(isTombstoneOnly(o));
  assert.deepEqual(liveSiblings(o), []);
  assert.deepEqual(values(o), [tombstone(2)]);
});

test("an empty object is not tombstone-only", () => {
  assert.ok(!isTombstoneOnly(emptyDvvSet<Sibling>()));
});

test("a live write concurrent with a delete is the one live sibling", () => {
  const base = update(emptyDvvSet<Sibling>(), [], "a", live("v1"));
  const deleted = update(base, join(base), "a", tombstone(2));
  const concurrent = update(emptyDvvSet<Sibling>(), join(base), "b", live("v2", 3));
  const merged = decodeStoredObject(encodeStoredObject(sync(deleted, concurrent)));
  assert.ok(!isTombstoneOnly(merged));
  assert.deepEqual(
    liveSiblings(merged).map((s) => new TextDecoder().decode(s.value)),
    ["v2"],
  );
});

test("a tombstone has an empty value and content type", () => {
  assert.deepEqual(tombstone(42), {
    value: new Uint8Array(0),
    contentType: "",
    deleted: true,
    writtenAtMs: 42,
  });
});

test("encoding refuses a malformed object as a bug", () => {
  const badTombstone: Sibling = { value: Uint8Array.of(1), contentType: "", deleted: true, writtenAtMs: 1 };
  assert.throws(() => encodeStoredObject({ entries: [{ actor: "a", counter: 1, values: [badTombstone] }] }));
  assert.throws(() => encodeStoredObject({ entries: [{ actor: "a", counter: 0, values: [] }] }));
});

test("an object whose content type is no valid header value (a newline, say) is refused as corrupt", () => {
  const o = update(emptyDvvSet<Sibling>(), [], "a", {
    value: new Uint8Array([1]),
    contentType: "text/plainZZ",
    deleted: false,
    writtenAtMs: 5,
  });
  const bytes = Buffer.from(encodeStoredObject(o));
  assert.doesNotThrow(() => decodeStoredObject(bytes));
  const at = bytes.indexOf("ZZ");
  assert.ok(at > 0);
  for (const bad of ["\r\n", "\n\u0000", "\u0001x"]) {
    const copy = Buffer.from(bytes);
    copy.write(bad, at, "latin1");
    assert.throws(
      () => decodeStoredObject(copy),
      (e: unknown) => e instanceof CorruptObjectError && /header value/.test(String(e)),
    );
  }
});
