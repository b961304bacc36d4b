import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { pack } from "msgpackr";
import {
  decodeContext,
  defaultContextLimits,
  encodeContext,
  type VersionVector,
} from "../../../src/core/causality/index.js";
import { versionVectorProblem } from "../../../src/core/causality/invariants.js";
import { BadContextError } from "../../../src/errors.js";

const actor = fc.string({ unit: "binary", minLength: 1, maxLength: 63 });

const versionVector: fc.Arbitrary<VersionVector> = fc
  .uniqueArray(fc.tuple(actor, fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })), {
    selector: ([a]) => a,
    maxLength: 12,
  })
  .map((pairs) => pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

function header(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64url");
}

function withVersion(body: Uint8Array): Uint8Array {
  return Buffer.concat([Uint8Array.of(1), body]);
}

/** The only acceptable outcomes for any input: a valid vector or a BadContextError. */
function decodesOrRejects(input: string): void {
  let result: VersionVector;
  try {
    result = decodeContext(input);
  } catch (error) {
    assert.ok(error instanceof BadContextError, `threw ${String(error)}`);
    assert.ok(error.message.length > 0);
    return;
  }
  assert.equal(versionVectorProblem(result), undefined);
  assert.ok(result.length <= defaultContextLimits.actorsMax);
}

test("any valid version vector round-trips through its header exactly", () => {
  fc.assert(
    fc.property(versionVector, (vv) => {
      const encoded = encodeContext(vv);
      assert.match(encoded, /^[A-Za-z0-9_-]+$/);
      assert.deepEqual(decodeContext(encoded), vv);
    }),
  );
});

test("a context with three actors is well under 100 characters", () => {
  const encoded = encodeContext([
    ["node-a.example:7100", 123456],
    ["node-b.example:7100", 42],
    ["node-c.example:7100", 7],
  ]);
  assert.ok(encoded.length < 100, `${encoded.length} chars`);
  assert.ok(encodeContext([["n1", 3]]).length < 12);
});

test("the empty version vector has a non-empty header that decodes to it", () => {
  const encoded = encodeContext([]);
  assert.notEqual(encoded, "");
  assert.deepEqual(decodeContext(encoded), []);
});

test("the header starts with format version byte 0x01", () => {
  assert.equal(Buffer.from(encodeContext([["a", 1]]), "base64url")[0], 1);
});

test("arbitrary strings decode to a valid vector or throw BadContextError", () => {
  fc.assert(fc.property(fc.string({ maxLength: 200 }), decodesOrRejects), { numRuns: 500 });
  fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 50 }), decodesOrRejects));
  fc.assert(fc.property(fc.base64String({ maxLength: 200 }), decodesOrRejects), { numRuns: 500 });
});

test("random bytes, with or without the version byte, decode or throw BadContextError", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, versioned) => {
      decodesOrRejects(header(versioned ? withVersion(bytes) : bytes));
    }),
    { numRuns: 1000 },
  );
});

test("truncated and bit-flipped valid headers decode or throw BadContextError", () => {
  fc.assert(
    fc.property(versionVector, fc.nat(), fc.nat(), fc.integer({ min: 0, max: 7 }), (vv, cut, at, bit) => {
      const encoded = encodeContext(vv);
      decodesOrRejects(encoded.slice(0, cut % encoded.length));
      const bytes = Buffer.from(encoded, "base64url");
      const i = at % bytes.length;
      bytes[i] = (bytes[i] as number) ^ (1 << bit);
      decodesOrRejects(header(bytes));
    }),
    { numRuns: 500 },
  );
});

test("valid MessagePack of the wrong shape throws BadContextError", () => {
  const scalar = fc.oneof(
    fc.string({ maxLength: 10 }),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 4 }),
  );
  fc.assert(
    fc.property(fc.oneof(fc.anything(), fc.array(scalar, { maxLength: 8 })), (value) => {
      decodesOrRejects(header(withVersion(pack(value))));
    }),
    { numRuns: 500 },
  );
  const rejected: unknown[] = [
    {},
    "a",
    ["a"],
    ["a", 1, "a", 2],
    ["b", 1, "a", 1],
    ["a", 0],
    ["a", -1],
    ["a", 1.5],
    ["a", 2 ** 53],
    ["", 1],
    ["x".repeat(256), 1],
    [1, "a"],
    [["a", 1]],
    ["a", null],
  ];
  for (const value of rejected) {
    assert.throws(
      () => decodeContext(header(withVersion(pack(value)))),
      BadContextError,
      JSON.stringify(String(value)),
    );
  }
});

test("headers that break the format rules throw BadContextError with a clear message", () => {
  const valid = encodeContext([["a", 1]]);
  const cases: [string, RegExp][] = [
    ["", /empty/],
    [`${valid}=`, /base64url/],
    [`${valid.slice(0, 2)}+${valid.slice(3)}`, /base64url/],
    [` ${valid}`, /base64url/],
    [header(Uint8Array.of(2, 0x90)), /version 2/],
    [header(Uint8Array.of(1)), /no body/],
    [header(Uint8Array.of(1, 0xc0)), /not a MessagePack array/],
    [header(Uint8Array.of(1, 0x92, 0xa1, 0x61, 0x01, 0x01)), /not valid MessagePack/],
    [header(Uint8Array.of(1, 0xdd, 0xff, 0xff, 0xff, 0xfe)), /actors, the limit is 256/],
    ["A".repeat(defaultContextLimits.encodedLengthMax + 1), /limit is 8192/],
  ];
  for (const [input, message] of cases) assert.throws(() => decodeContext(input), message, input);
});

test("a header whose base64url has stray trailing bits is refused as non-canonical", () => {
  const valid = encodeContext([["a", 1]]);
  const last = valid.at(-1) as string;
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const mangled = valid.slice(0, -1) + alphabet[(alphabet.indexOf(last) + 1) % 64];
  // 5 bytes take 7 characters, whose last 2 bits are padding: the mangled header means the same bytes.
  assert.ok(Buffer.from(mangled, "base64url").equals(Buffer.from(valid, "base64url")));
  assert.throws(() => decodeContext(mangled), /canonical/);
});

test("the actor limit is enforced, and is configurable", () => {
  const vv: [string, number][] = [];
  for (let i = 0; i < 257; i++) vv.push([`n${String(i).padStart(3, "0")}`, 1]);
  assert.throws(() => decodeContext(encodeContext(vv)), /257 actors, the limit is 256/);
  assert.deepEqual(decodeContext(encodeContext(vv.slice(0, 256))), vv.slice(0, 256));
  assert.throws(
    () => decodeContext(encodeContext(vv.slice(0, 3)), { encodedLengthMax: 8192, actorsMax: 2 }),
    BadContextError,
  );
  assert.throws(
    () => decodeContext(encodeContext(vv.slice(0, 3)), { encodedLengthMax: 10, actorsMax: 256 }),
    /limit is 10/,
  );
});

test("deeply nested MessagePack is refused without a stack overflow escaping", () => {
  const nested = withVersion(Uint8Array.from([...new Array<number>(6000).fill(0x91), 1]));
  assert.throws(() => decodeContext(header(nested)), BadContextError);
  const nestedInPair = withVersion(
    Uint8Array.from([0x92, 0xa1, 0x61, ...new Array<number>(6000).fill(0x91), 1]),
  );
  assert.throws(() => decodeContext(header(nestedInPair)), BadContextError);
});

test("encodeContext refuses an invalid vector as a bug", () => {
  assert.throws(() =>
    encodeContext([
      ["b", 1],
      ["a", 1],
    ]),
  );
  assert.throws(() => encodeContext([["a", 0]]));
  assert.throws(() => encodeContext([["\uD800", 1]]), /well-formed/);
});
