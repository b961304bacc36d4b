import assert from "node:assert/strict";
import { test } from "node:test";
import { DigestCache } from "../../../src/core/merkle/index.js";

const key = (s: string) => new TextEncoder().encode(s);
const digest = (n: number) => new Uint8Array(16).fill(n);

test("a digest is taken once: the next take of the key finds nothing", () => {
  const cache = new DigestCache(4);
  cache.put(key("a"), digest(1));
  assert.deepEqual(cache.take(key("a")), digest(1));
  assert.equal(cache.take(key("a")), undefined);
  cache.put(key("b"), undefined);
  assert.equal(cache.size, 0, "a key that is gone is not cached");
});

test("keys are compared by their bytes, views of other buffers included", () => {
  const cache = new DigestCache(4);
  cache.put(key("k\u00ff1"), digest(2));
  const bytes = new Uint8Array([0, ...key("k\u00ff1"), 0]).subarray(1, -1);
  assert.deepEqual(cache.take(bytes), digest(2));
  cache.put(new Uint8Array([0x80]), digest(3));
  assert.equal(cache.take(new Uint8Array([0xc2, 0x80])), undefined);
});

test("past its bound it forgets the least recently changed key", () => {
  const cache = new DigestCache(2);
  cache.put(key("a"), digest(1));
  cache.put(key("b"), digest(2));
  cache.put(key("a"), digest(3)); // a is now the most recent
  cache.put(key("c"), digest(4));
  assert.equal(cache.size, 2);
  assert.equal(cache.take(key("b")), undefined);
  assert.deepEqual(cache.take(key("a")), digest(3));
  assert.deepEqual(cache.take(key("c")), digest(4));
  const off = new DigestCache(0);
  off.put(key("a"), digest(1));
  assert.equal(off.take(key("a")), undefined);
  assert.throws(() => new DigestCache(-1), RangeError);
});
