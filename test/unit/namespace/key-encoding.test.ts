import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  DEFAULT_NAMESPACE,
  decodeKey,
  encodeKey,
  isNamespaceName,
  namespaceRange,
} from "../../../src/core/namespace/index.js";
import { compareBytes } from "../../../src/storage/index.js";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const NAME_CHARS = "ABCXYZabcxyz0189._-".split("");
const namespaceName = fc
  .array(fc.constantFrom(...NAME_CHARS), { minLength: 1, maxLength: 64 })
  .map((cs) => cs.join(""));
const anyNamespace = fc.oneof(
  fc.constant(DEFAULT_NAMESPACE),
  namespaceName,
  fc.constantFrom("a", "a.b", "ab"),
);
const userKey = fc.string({ unit: "binary", minLength: 1, maxLength: 24 }).map(enc);

function inRange(stored: Uint8Array, range: { start: Uint8Array; end: Uint8Array }): boolean {
  return compareBytes(stored, range.start) >= 0 && compareBytes(stored, range.end) < 0;
}

describe("namespace names", () => {
  test("accepts 1-64 of A-Za-z0-9._- and nothing else", () => {
    for (const good of ["default", "a", "A.b_c-9", "x".repeat(64)]) assert.ok(isNamespaceName(good), good);
    for (const bad of ["", "x".repeat(65), "a/b", "a b", "é", "a\u0000", "a%2F"])
      assert.ok(!isNamespaceName(bad), bad);
  });
});

describe("stored key encoding", () => {
  test("a key of default is its UTF-8 bytes unchanged, so data written before namespaces stays readable", () => {
    assert.deepEqual(encodeKey(DEFAULT_NAMESPACE, enc("user/1")), enc("user/1"));
  });

  test("a key of another namespace is 0xFF ++ name ++ 0x00 ++ key", () => {
    assert.deepEqual([...encodeKey("ns", enc("k"))], [0xff, 0x6e, 0x73, 0x00, 0x6b]);
  });

  test("refuses to encode a bad namespace name", () => {
    assert.throws(() => encodeKey("a/b", enc("k")));
  });

  test("decoding gives back the namespace and key", () => {
    fc.assert(
      fc.property(anyNamespace, userKey, (namespace, key) => {
        const decoded = decodeKey(encodeKey(namespace, key));
        assert.ok(decoded !== undefined);
        assert.equal(decoded.namespace, namespace);
        assert.deepEqual([...decoded.key], [...key]);
      }),
    );
  });

  test("the encoding is injective: different (namespace, key) pairs never share a stored key", () => {
    fc.assert(
      fc.property(anyNamespace, userKey, anyNamespace, userKey, (ns1, k1, ns2, k2) => {
        fc.pre(ns1 !== ns2 || compareBytes(k1, k2) !== 0);
        assert.notEqual(compareBytes(encodeKey(ns1, k1), encodeKey(ns2, k2)), 0);
      }),
    );
  });

  test("within a namespace, stored keys sort as the user keys do", () => {
    fc.assert(
      fc.property(anyNamespace, userKey, userKey, (namespace, a, b) => {
        assert.equal(
          Math.sign(compareBytes(encodeKey(namespace, a), encodeKey(namespace, b))),
          Math.sign(compareBytes(a, b)),
        );
      }),
    );
  });

  test("a namespace's range holds its keys and never a key of another namespace", () => {
    fc.assert(
      fc.property(anyNamespace, anyNamespace, userKey, (mine, other, key) => {
        const range = namespaceRange(mine, new Uint8Array(0));
        assert.ok(inRange(encodeKey(mine, key), range), "own key outside its range");
        if (other !== mine) assert.ok(!inRange(encodeKey(other, key), range), `${other} key inside ${mine}`);
      }),
    );
  });

  test("a prefix range holds exactly the namespace's keys that start with the prefix", () => {
    fc.assert(
      fc.property(anyNamespace, anyNamespace, userKey, userKey, (mine, other, prefix, key) => {
        const range = namespaceRange(mine, prefix);
        const withPrefix = new Uint8Array([...prefix, ...key]);
        assert.ok(inRange(encodeKey(mine, withPrefix), range));
        assert.ok(inRange(encodeKey(mine, prefix), range));
        const starts = Buffer.from(key).subarray(0, prefix.length).equals(Buffer.from(prefix));
        assert.equal(inRange(encodeKey(mine, key), range), starts);
        if (other !== mine) assert.ok(!inRange(encodeKey(other, withPrefix), range));
      }),
    );
  });

  test("bytes that are no stored key decode to nothing", () => {
    assert.equal(decodeKey(Uint8Array.of(0xff, 0x61)), undefined);
    assert.equal(decodeKey(Uint8Array.of(0xff, 0x2f, 0x00, 0x61)), undefined);
    assert.equal(decodeKey(Uint8Array.of(0xff, ...enc("default"), 0x00, 0x61)), undefined);
  });
});
