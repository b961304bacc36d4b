import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { decodeKey, encodeKey, namespaceRange } from "../../../src/core/namespace/index.js";
import { partitionOf } from "../../../src/core/partition.js";
import { encodeStoredObject, type StoredObject } from "../../../src/core/stored-object.js";
import { listLocalKeys } from "../../../src/listing/index.js";
import { compareBytes, MemoryEngine, objectKey } from "../../../src/storage/index.js";

const PARTITIONS = 16;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** The user key of a stored key, which must belong to `namespace`. */
function userKey(namespace: string, stored: Uint8Array): Uint8Array {
  const decoded = decodeKey(stored);
  assert.equal(decoded?.namespace, namespace);
  return decoded?.key ?? new Uint8Array(0);
}

function object(deleted: boolean): StoredObject {
  return {
    entries: [
      {
        actor: "a",
        counter: 1,
        values: [
          {
            value: deleted ? new Uint8Array(0) : enc("v"),
            contentType: deleted ? "" : "text/plain",
            deleted,
            writtenAtMs: 1,
          },
        ],
      },
    ],
  };
}

/** Stores each stored key in its partition; `dead` ones as tombstones. */
async function engineWith(
  keys: readonly Uint8Array[],
  dead: ReadonlySet<string> = new Set(),
): Promise<MemoryEngine> {
  const engine = new MemoryEngine();
  await engine.batch(
    keys.map((k) => ({
      store: "objects" as const,
      key: objectKey(partitionOf(k, PARTITIONS), k),
      value: encodeStoredObject(object(dead.has(dec(k)))),
    })),
  );
  return engine;
}

const ALL = Array.from({ length: PARTITIONS }, (_, p) => p);

describe("listLocalKeys", () => {
  test("merges partitions into byte order, flags tombstones, and stays in the namespace", async () => {
    const defaults = ["b", "a", "c/1", "c/2", "zz", "é"].map(enc);
    const others = ["a", "b"].map((k) => encodeKey("other", enc(k)));
    const engine = await engineWith([...defaults, ...others], new Set(["c/1"]));
    const batch = listLocalKeys(
      engine,
      {
        partitions: ALL,
        range: namespaceRange("default", new Uint8Array(0)),
        after: undefined,
        limit: 100,
      },
      0,
    );
    assert.deepEqual(
      batch.keys.map((k) => [dec(k.key), k.live]),
      [
        ["a", true],
        ["b", true],
        ["c/1", false],
        ["c/2", true],
        ["zz", true],
        ["é", true],
      ],
    );
    assert.equal(batch.more, false);
    const other = listLocalKeys(
      engine,
      {
        partitions: ALL,
        range: namespaceRange("other", new Uint8Array(0)),
        after: undefined,
        limit: 100,
      },
      0,
    );
    assert.deepEqual(
      other.keys.map((k) => dec(userKey("other", k.key))),
      ["a", "b"],
    );
    const prefixed = listLocalKeys(
      engine,
      {
        partitions: ALL,
        range: namespaceRange("default", enc("c/")),
        after: undefined,
        limit: 100,
      },
      0,
    );
    assert.deepEqual(
      prefixed.keys.map((k) => dec(k.key)),
      ["c/1", "c/2"],
    );
  });

  test("a value past its deadline counts as not live, and as live before it", async () => {
    const engine = new MemoryEngine();
    const expiring: StoredObject = {
      entries: [
        {
          actor: "a",
          counter: 1,
          values: [
            { value: enc("v"), contentType: "text/plain", deleted: false, writtenAtMs: 1, expiresAtMs: 1000 },
          ],
        },
      ],
    };
    await engine.batch([
      {
        store: "objects",
        key: objectKey(partitionOf(enc("s"), PARTITIONS), enc("s")),
        value: encodeStoredObject(expiring),
      },
    ]);
    const at = (nowMs: number) =>
      listLocalKeys(
        engine,
        { partitions: ALL, range: namespaceRange("default", new Uint8Array(0)), after: undefined, limit: 10 },
        nowMs,
      ).keys.map((k) => [dec(k.key), k.live]);
    assert.deepEqual(at(999), [["s", true]]);
    assert.deepEqual(at(1000), [["s", false]]);
  });

  test("only the partitions asked for are listed", async () => {
    const keys = Array.from({ length: 50 }, (_, i) => enc(`k${i}`));
    const engine = await engineWith(keys);
    const asked = [1, 5, 9];
    const batch = listLocalKeys(
      engine,
      {
        partitions: asked,
        range: namespaceRange("default", new Uint8Array(0)),
        after: undefined,
        limit: 1000,
      },
      0,
    );
    const expected = keys
      .filter((k) => asked.includes(partitionOf(k, PARTITIONS)))
      .map(dec)
      .sort();
    assert.ok(expected.length > 0);
    assert.deepEqual(batch.keys.map((k) => dec(k.key)).sort(), expected);
  });

  test("paging by limit and cursor yields every key of the range exactly once, in order", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { maxLength: 80 }),
        fc.integer({ min: 1, max: 9 }),
        fc.constantFrom("", "a", "b"),
        fc.constantFrom("default", "ns1"),
        async (texts, limit, prefix, namespace) => {
          const engine = await engineWith(texts.map((t) => encodeKey(namespace, enc(t))));
          const range = namespaceRange(namespace, enc(prefix));
          const seen: string[] = [];
          let after: Uint8Array | undefined;
          for (let round = 0; round <= texts.length + 1; round++) {
            const batch = listLocalKeys(engine, { partitions: ALL, range, after, limit }, 0);
            assert.ok(batch.keys.length <= limit);
            for (const k of batch.keys) seen.push(dec(userKey(namespace, k.key)));
            const last = batch.keys[batch.keys.length - 1];
            if (!batch.more) break;
            assert.ok(last !== undefined, "more with an empty batch");
            after = last.key;
          }
          const expected = texts
            .filter((t) => t.startsWith(prefix))
            .map(enc)
            .sort(compareBytes)
            .map(dec);
          assert.deepEqual(seen, expected);
        },
      ),
    );
  });
});
