import assert from "node:assert/strict";
import { test } from "node:test";

import { PeerMessageError } from "../../../src/protocol/index.js";
import {
  array,
  bytes,
  int,
  nullable,
  object,
  optional,
  refine,
  string,
  tuple,
} from "../../../src/protocol/schema.js";
import { testLimits } from "./test-limits.js";

const limits = testLimits({
  partitions: 8,
  keyBytesMax: 4,
  valueBytesMax: 16,
  contentTypeBytesMax: 8,
  timeoutMsMax: 1000,
  treeSegments: 16,
  aaeKeysMax: 4,
});

const refused = (fn: () => unknown, path: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof PeerMessageError && path.test(e.message));

test("an object schema returns its fields typed and names the field that does not fit", () => {
  const schema = object({
    partition: int(0, (l) => l.partitions - 1),
    key: bytes(1, (l) => l.keyBytesMax),
    note: optional(string(8)),
    after: nullable(bytes(1, 4)),
  });
  const key = new Uint8Array([1, 2]);
  assert.deepEqual(schema.parse({ type: "x", partition: 7, key, after: null, extra: 1 }, limits, "m"), {
    partition: 7,
    key,
    after: null,
  });
  refused(
    () => schema.parse({ partition: 8, key, after: null }, limits, "m"),
    /^m\.partition: expected an integer in 0\.\.7/,
  );
  refused(() => schema.parse({ partition: 1.5, key, after: null }, limits, "m"), /m\.partition/);
  refused(
    () => schema.parse({ partition: 0, key: new Uint8Array(5), after: null }, limits, "m"),
    /m\.key: expected 1\.\.4 bytes/,
  );
  refused(() => schema.parse({ partition: 0, key: "k", after: null }, limits, "m"), /m\.key/);
  refused(
    () => schema.parse({ partition: 0, key, note: "x".repeat(9), after: null }, limits, "m"),
    /m\.note/,
  );
  refused(() => schema.parse([1, 2], limits, "m"), /^m: expected a map/);
  refused(() => schema.parse(new Uint8Array(2), limits, "m"), /^m: expected a map/);
});

test("lists are bounded and each item is checked where it sits", () => {
  const schema = array(tuple(bytes(1, 4), int(0, 9)), (l) => l.aaeKeysMax);
  assert.equal(schema.parse([[new Uint8Array(1), 3]], limits, "keys").length, 1);
  refused(() => schema.parse(Array(5).fill([new Uint8Array(1), 1]), limits, "keys"), /at most 4 items/);
  refused(
    () =>
      schema.parse(
        [
          [new Uint8Array(1), 3],
          [new Uint8Array(1), 10],
        ],
        limits,
        "keys",
      ),
    /keys\[1\]\[1\]/,
  );
  refused(() => schema.parse([[new Uint8Array(1)]], limits, "keys"), /keys\[0\]: expected a list of 2/);
});

test("a refinement checks across fields after the fields themselves", () => {
  const schema = refine(object({ a: int(0, 9), b: int(0, 9) }), (v) =>
    v.a <= v.b ? undefined : "a is above b",
  );
  assert.deepEqual(schema.parse({ a: 1, b: 2 }, limits, "m"), { a: 1, b: 2 });
  refused(() => schema.parse({ a: 3, b: 2 }, limits, "m"), /^m: a is above b/);
});
