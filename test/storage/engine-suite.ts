import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { StorageClosedError, StorageFullError } from "../../src/errors.js";
import { compareBytes } from "../../src/storage/compare-bytes.js";
import type { StorageEngine, UpdateDecision } from "../../src/storage/engine.js";
import { objectKey, partitionRange } from "../../src/storage/object-key.js";

export interface StorageEngineSuiteOptions {
  /** The engine keeps data across close and a new open of the same directory. */
  persistent: boolean;
  /** Opens an engine whose size limit (however the engine measures it) is `sizeBytesMax`. */
  openWithSizeLimit: (dir: string, sizeBytesMax: number) => Promise<StorageEngine>;
}

const PARTITION_MAX = 0xffff_ffff;

export function bytes(...values: number[]): Uint8Array {
  return new Uint8Array(values);
}

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function hex(value: Uint8Array | undefined): string | undefined {
  return value === undefined ? undefined : Buffer.from(value).toString("hex");
}

function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, false);
  return out;
}

function readU32(value: Uint8Array): number {
  return new DataView(value.buffer, value.byteOffset, value.byteLength).getUint32(0, false);
}

function put(value: Uint8Array): (old: Uint8Array | undefined) => UpdateDecision<Uint8Array | undefined> {
  return (old) => ({ write: value, result: old });
}

/**
 * The acceptance suite every StorageEngine runs. `open(dir)` opens (or, for a persistent
 * engine, reopens) the engine stored in `dir`.
 */
export function runStorageEngineSuite(
  name: string,
  open: (dir: string) => Promise<StorageEngine>,
  options: StorageEngineSuiteOptions,
): void {
  describe(`StorageEngine acceptance: ${name}`, () => {
    let rootDir = "";
    let dirCount = 0;
    const freshDir = (): string => path.join(rootDir, `engine-${dirCount++}`);

    async function withEngine(fn: (engine: StorageEngine, dir: string) => Promise<void>): Promise<void> {
      const dir = freshDir();
      const engine = await open(dir);
      try {
        await fn(engine, dir);
      } finally {
        await engine.close();
      }
    }

    before(() => {
      rootDir = fs.mkdtempSync(path.join(os.tmpdir(), "ringkv-storage-suite-"));
    });
    after(() => {
      fs.rmSync(rootDir, { recursive: true, force: true });
    });

    describe("get, update and delete", () => {
      test("a key never written reads as undefined", () =>
        withEngine(async (engine) => {
          assert.equal(engine.get("objects", utf8("missing")), undefined);
        }));

      test("update writes the value, passes the old one to fn and resolves with fn's result", () =>
        withEngine(async (engine) => {
          const seen: (string | undefined)[] = [];
          const first = await engine.update("objects", utf8("k"), (old) => {
            seen.push(hex(old));
            return { write: bytes(1, 2), result: "first" };
          });
          const second = await engine.update("objects", utf8("k"), (old) => {
            seen.push(hex(old));
            return { write: bytes(3), result: "second" };
          });
          assert.equal(first, "first");
          assert.equal(second, "second");
          assert.deepEqual(seen, [undefined, "0102"]);
          assert.deepEqual(engine.get("objects", utf8("k")), bytes(3));
        }));

      test("a write of null deletes the key, and deleting a missing key is harmless", () =>
        withEngine(async (engine) => {
          await engine.update("objects", utf8("k"), put(bytes(1)));
          await engine.update("objects", utf8("k"), () => ({ write: null, result: 0 }));
          assert.equal(engine.get("objects", utf8("k")), undefined);
          await engine.update("objects", utf8("never"), () => ({ write: null, result: 0 }));
          assert.equal(engine.get("objects", utf8("never")), undefined);
          assert.equal(engine.stats().stores.objects.entries, 0);
        }));

      test("a write of undefined leaves the key as it was", () =>
        withEngine(async (engine) => {
          await engine.update("objects", utf8("k"), put(bytes(7)));
          const result = await engine.update("objects", utf8("k"), () => ({
            write: undefined,
            result: "kept",
          }));
          assert.equal(result, "kept");
          assert.deepEqual(engine.get("objects", utf8("k")), bytes(7));
          await engine.update("objects", utf8("absent"), () => ({ write: undefined, result: 0 }));
          assert.equal(engine.get("objects", utf8("absent")), undefined);
          assert.equal(engine.stats().stores.objects.entries, 1);
        }));

      test("when fn throws nothing is written and the promise rejects with that very error", () =>
        withEngine(async (engine) => {
          await engine.update("objects", utf8("k"), put(bytes(1)));
          const failure = new Error("decision failed");
          await assert.rejects(
            engine.update("objects", utf8("k"), () => {
              throw failure;
            }),
            (error) => error === failure,
          );
          await assert.rejects(
            engine.update("objects", utf8("new"), () => {
              throw failure;
            }),
            (error) => error === failure,
          );
          assert.deepEqual(engine.get("objects", utf8("k")), bytes(1));
          assert.equal(engine.get("objects", utf8("new")), undefined);
        }));

      test("a throwing update does not disturb updates of other keys issued in the same turn", () =>
        withEngine(async (engine) => {
          const failure = new Error("only this one fails");
          const results = await Promise.allSettled([
            engine.update("objects", utf8("a"), put(bytes(1))),
            engine.update("objects", utf8("b"), () => {
              throw failure;
            }),
            engine.update("objects", utf8("c"), put(bytes(3))),
          ]);
          assert.deepEqual(
            results.map((r) => r.status),
            ["fulfilled", "rejected", "fulfilled"],
          );
          assert.deepEqual(engine.get("objects", utf8("a")), bytes(1));
          assert.equal(engine.get("objects", utf8("b")), undefined);
          assert.deepEqual(engine.get("objects", utf8("c")), bytes(3));
        }));

      test("onApplied hears each applied update once, with its result, by the time the update resolves", () =>
        withEngine(async (engine) => {
          const heard: string[] = [];
          const failure = new Error("decision failed");
          const results = await Promise.allSettled([
            engine.update(
              "objects",
              utf8("a"),
              () => ({ write: bytes(1), result: "a" }),
              (r) => heard.push(r),
            ),
            engine.update(
              "objects",
              utf8("b"),
              () => {
                throw failure;
              },
              () => heard.push("b"),
            ),
            engine.update(
              "objects",
              utf8("c"),
              () => ({ write: undefined, result: "c" }),
              (r) => heard.push(r),
            ),
          ]);
          assert.deepEqual(
            results.map((r) => r.status),
            ["fulfilled", "rejected", "fulfilled"],
          );
          assert.deepEqual(heard.sort(), ["a", "c"], "a failed decision is never reported as applied");
        }));

      test("an update issued from onApplied sees the applied value", () =>
        withEngine(async (engine) => {
          const key = utf8("chained");
          const seen = new Promise<number | undefined>((resolve) => {
            void engine.update(
              "objects",
              key,
              () => ({ write: u32(1), result: 1 }),
              () => {
                void engine.update("objects", key, (old) => {
                  resolve(old === undefined ? undefined : readU32(old));
                  return { write: u32(2), result: 2 };
                });
              },
            );
          });
          assert.equal(await seen, 1);
        }));

      test("500 concurrent increments of one counter all land, each seeing a distinct old value", () =>
        withEngine(async (engine) => {
          const key = utf8("counter");
          let calls = 0;
          const increments = Array.from({ length: 500 }, () =>
            engine.update("objects", key, (old) => {
              calls++;
              const next = (old === undefined ? 0 : readU32(old)) + 1;
              return { write: u32(next), result: next };
            }),
          );
          const results = await Promise.all(increments);
          assert.equal(calls, 500, "fn runs exactly once per update");
          assert.equal(readU32(engine.get("objects", key)!), 500);
          assert.deepEqual(
            [...results].sort((a, b) => a - b),
            Array.from({ length: 500 }, (_, i) => i + 1),
          );
        }));

      test("stored bytes are copies: mutating inputs or returned arrays changes nothing stored", () =>
        withEngine(async (engine) => {
          const key = utf8("k");
          const value = bytes(1, 2, 3);
          const batchValue = bytes(4, 5);
          const pendingUpdate = engine.update("objects", key, () => ({ write: value, result: 0 }));
          const pendingBatch = engine.batch([{ store: "meta", key, value: batchValue }]);
          // Mutated after the calls but before the writes ran: the engine must have copied.
          key[0] = 0;
          batchValue[0] = 99;
          await Promise.all([pendingUpdate, pendingBatch]);
          value[0] = 99;
          assert.deepEqual(engine.get("meta", utf8("k")), bytes(4, 5));
          const read = engine.get("objects", utf8("k"))!;
          assert.deepEqual(read, bytes(1, 2, 3));
          read[1] = 99;
          assert.deepEqual(engine.get("objects", utf8("k")), bytes(1, 2, 3));
          await engine.update("objects", utf8("k"), (old) => {
            old![2] = 99;
            return { write: undefined, result: 0 };
          });
          assert.deepEqual(engine.get("objects", utf8("k")), bytes(1, 2, 3));
          const [[scannedKey, scannedValue]] = [...engine.scan("objects")] as [[Uint8Array, Uint8Array]];
          scannedKey[0] = 0;
          scannedValue[0] = 0;
          assert.deepEqual(engine.get("objects", utf8("k")), bytes(1, 2, 3));
        }));

      test("a value that is a view into a larger buffer is stored as exactly its bytes", () =>
        withEngine(async (engine) => {
          const backing = bytes(9, 9, 1, 2, 3, 9, 9);
          await engine.update("objects", utf8("view"), put(backing.subarray(2, 5)));
          await engine.batch([
            { store: "objects", key: backing.subarray(1, 3), value: backing.subarray(3, 4) },
          ]);
          assert.deepEqual(engine.get("objects", utf8("view")), bytes(1, 2, 3));
          assert.deepEqual(engine.get("objects", bytes(9, 1)), bytes(2));
        }));

      test("an empty value is stored and read back as empty, not as missing", () =>
        withEngine(async (engine) => {
          await engine.update("objects", utf8("empty"), put(new Uint8Array(0)));
          assert.deepEqual(engine.get("objects", utf8("empty")), new Uint8Array(0));
        }));

      test("a 1 MiB value round-trips", () =>
        withEngine(async (engine) => {
          const large = new Uint8Array(1024 * 1024).map((_, i) => (i * 31) & 0xff);
          await engine.update("objects", utf8("large"), put(large));
          assert.deepEqual(engine.get("objects", utf8("large")), large);
        }));
    });

    describe("ordered scans", () => {
      const userKeys = [
        bytes(),
        bytes(0x00),
        bytes(0x00, 0x00),
        bytes(0x01),
        utf8("a"),
        utf8("ab"),
        bytes(0xff),
        bytes(0xff, 0xff),
      ];
      const partitions = [0, 1, 2, 255, 256, PARTITION_MAX - 1, PARTITION_MAX];

      async function fill(engine: StorageEngine): Promise<void> {
        // Written in a scrambled order so a scan that returns insertion order fails.
        const ops = partitions.flatMap((partition) =>
          userKeys.map((key, i) => ({
            store: "objects" as const,
            key: objectKey(partition, key),
            value: bytes(partition & 0xff, i),
          })),
        );
        ops.reverse();
        await engine.batch(ops.filter((_, i) => i % 2 === 0));
        await engine.batch(ops.filter((_, i) => i % 2 === 1));
      }

      const sortedUserKeys = [...userKeys].sort(compareBytes);

      for (const partition of partitions) {
        test(`a scan of partition ${partition} returns exactly its keys in bytewise order`, () =>
          withEngine(async (engine) => {
            await fill(engine);
            const scanned = [...engine.scan("objects", partitionRange(partition))];
            assert.deepEqual(
              scanned.map(([key]) => hex(key)),
              sortedUserKeys.map((key) => hex(objectKey(partition, key))),
            );
            for (const [key, value] of scanned) {
              const index = userKeys.findIndex((k) => compareBytes(objectKey(partition, k), key) === 0);
              assert.deepEqual(value, bytes(partition & 0xff, index));
            }
          }));
      }

      test("a scan without a range returns every key of the store in bytewise order", () =>
        withEngine(async (engine) => {
          await fill(engine);
          const scanned = [...engine.scan("objects")].map(([key]) => key);
          assert.equal(scanned.length, partitions.length * userKeys.length);
          const sorted = [...scanned].sort(compareBytes);
          assert.deepEqual(scanned.map(hex), sorted.map(hex));
          assert.deepEqual(scanned[0], objectKey(0, bytes()));
          assert.deepEqual(scanned.at(-1), objectKey(PARTITION_MAX, bytes(0xff, 0xff)));
        }));

      test("limit returns the first entries of the range, and limit 0 returns none", () =>
        withEngine(async (engine) => {
          await fill(engine);
          const range = partitionRange(PARTITION_MAX);
          const limited = [...engine.scan("objects", { ...range, limit: 3 })].map(([key]) => hex(key));
          assert.deepEqual(
            limited,
            sortedUserKeys.slice(0, 3).map((key) => hex(objectKey(PARTITION_MAX, key))),
          );
          assert.deepEqual([...engine.scan("objects", { ...range, limit: 0 })], []);
          assert.equal(
            [...engine.scan("objects", { limit: 1000 })].length,
            partitions.length * userKeys.length,
          );
        }));

      test("start is inclusive and end is exclusive, also for keys that are prefixes of each other", () =>
        withEngine(async (engine) => {
          await fill(engine);
          const keysOf = (start?: Uint8Array, end?: Uint8Array): (string | undefined)[] => {
            const range: { start?: Uint8Array; end?: Uint8Array } = {};
            if (start !== undefined) range.start = start;
            if (end !== undefined) range.end = end;
            return [...engine.scan("objects", range)].map(([key]) => hex(key));
          };
          const p = (key: Uint8Array): Uint8Array => objectKey(2, key);
          assert.deepEqual(keysOf(p(bytes(0x00)), p(bytes(0x01))), [
            hex(p(bytes(0x00))),
            hex(p(bytes(0x00, 0x00))),
          ]);
          assert.deepEqual(keysOf(p(bytes(0x00, 0x00)), p(utf8("ab"))), [
            hex(p(bytes(0x00, 0x00))),
            hex(p(bytes(0x01))),
            hex(p(utf8("a"))),
          ]);
          // A start that is not a stored key begins at the next stored key.
          assert.deepEqual(keysOf(p(bytes(0xfe)), p(bytes(0xff, 0xff))), [hex(p(bytes(0xff)))]);
          assert.deepEqual(keysOf(p(utf8("a")), p(utf8("a"))), []);
          assert.equal(keysOf(undefined, objectKey(1, bytes())).length, userKeys.length);
          assert.equal(keysOf(objectKey(PARTITION_MAX - 1, bytes())).length, 2 * userKeys.length);
        }));

      test("a scan sees every write whose promise resolved", () =>
        withEngine(async (engine) => {
          for (let i = 0; i < 20; i++) {
            await engine.update("objects", objectKey(5, u32(i)), put(u32(i)));
            assert.equal([...engine.scan("objects", partitionRange(5))].length, i + 1);
          }
        }));
    });

    describe("batches and stores", () => {
      test("a batch writes and deletes across stores and applies ops in order", () =>
        withEngine(async (engine) => {
          await engine.update("hints", utf8("old"), put(bytes(1)));
          await engine.batch([
            { store: "objects", key: utf8("a"), value: bytes(1) },
            { store: "hints", key: utf8("old"), value: null },
            { store: "meta", key: utf8("m"), value: bytes(2) },
            { store: "objects", key: utf8("a"), value: bytes(3) },
            { store: "objects", key: utf8("gone"), value: bytes(4) },
            { store: "objects", key: utf8("gone"), value: null },
          ]);
          assert.deepEqual(engine.get("objects", utf8("a")), bytes(3));
          assert.equal(engine.get("hints", utf8("old")), undefined);
          assert.deepEqual(engine.get("meta", utf8("m")), bytes(2));
          assert.equal(engine.get("objects", utf8("gone")), undefined);
        }));

      test("an empty batch resolves and changes nothing", () =>
        withEngine(async (engine) => {
          await engine.batch([]);
          assert.deepEqual(engine.stats().stores, {
            objects: { entries: 0 },
            hints: { entries: 0 },
            meta: { entries: 0 },
          });
        }));

      test("stores are independent: the same key holds different values and deletes stay local", () =>
        withEngine(async (engine) => {
          const key = utf8("shared");
          await engine.batch([
            { store: "objects", key, value: bytes(1) },
            { store: "hints", key, value: bytes(2) },
            { store: "meta", key, value: bytes(3) },
          ]);
          await engine.update("hints", key, () => ({ write: null, result: 0 }));
          assert.deepEqual(engine.get("objects", key), bytes(1));
          assert.equal(engine.get("hints", key), undefined);
          assert.deepEqual(engine.get("meta", key), bytes(3));
          assert.deepEqual(
            [...engine.scan("meta")].map(([k, v]) => [hex(k), hex(v)]),
            [[hex(key), "03"]],
          );
          assert.deepEqual([...engine.scan("hints")], []);
        }));

      test("stats count the entries of each store", () =>
        withEngine(async (engine) => {
          const ops = [
            ...Array.from({ length: 7 }, (_, i) => ({
              store: "objects" as const,
              key: u32(i),
              value: bytes(i),
            })),
            ...Array.from({ length: 3 }, (_, i) => ({
              store: "hints" as const,
              key: u32(i),
              value: bytes(i),
            })),
          ];
          await engine.batch(ops);
          await engine.update("meta", utf8("m"), put(bytes()));
          await engine.update("objects", u32(0), () => ({ write: null, result: 0 }));
          const stats = engine.stats();
          assert.deepEqual(stats.stores, {
            objects: { entries: 6 },
            hints: { entries: 3 },
            meta: { entries: 1 },
          });
          if (options.persistent) assert.ok(stats.diskBytes > 0, "a persistent engine uses disk");
          else assert.equal(stats.diskBytes, 0);
        }));
    });

    describe("lifecycle", () => {
      test("close waits for writes in flight, which all resolve", async () => {
        const dir = freshDir();
        const engine = await open(dir);
        const writes = Array.from({ length: 100 }, (_, i) =>
          i % 2 === 0
            ? engine.update("objects", u32(i), put(u32(i)))
            : engine.batch([{ store: "objects", key: u32(i), value: u32(i) }]),
        );
        await engine.close();
        const results = await Promise.allSettled(writes);
        assert.ok(results.every((r) => r.status === "fulfilled"));
        if (!options.persistent) return;
        const reopened = await open(dir);
        try {
          assert.equal(reopened.stats().stores.objects.entries, 100);
        } finally {
          await reopened.close();
        }
      });

      test("every call after close fails with StorageClosedError, and close itself is idempotent", async () => {
        const engine = await open(freshDir());
        await engine.close();
        assert.throws(() => engine.get("objects", utf8("k")), StorageClosedError);
        assert.throws(() => engine.scan("objects"), StorageClosedError);
        assert.throws(() => engine.stats(), StorageClosedError);
        await assert.rejects(engine.update("objects", utf8("k"), put(bytes(1))), StorageClosedError);
        await assert.rejects(
          engine.batch([{ store: "objects", key: utf8("k"), value: bytes(1) }]),
          StorageClosedError,
        );
        await engine.close();
      });

      // Only persistent engines make this promise; an in-memory engine is not asked to.
      if (options.persistent)
        test("data written by update and batch survives close and reopen", async () => {
          const dir = freshDir();
          const first = await open(dir);
          try {
            await Promise.all([
              ...Array.from({ length: 50 }, (_, i) =>
                first.update("objects", objectKey(i, utf8("u")), put(u32(i))),
              ),
              first.batch(
                Array.from({ length: 50 }, (_, i) => ({
                  store: "hints" as const,
                  key: u32(i),
                  value: u32(i * 2),
                })),
              ),
              first.update("meta", utf8("gone"), put(bytes(1))),
            ]);
            await first.update("meta", utf8("gone"), () => ({ write: null, result: 0 }));
          } finally {
            await first.close();
          }
          const second = await open(dir);
          try {
            for (let i = 0; i < 50; i++) {
              assert.deepEqual(second.get("objects", objectKey(i, utf8("u"))), u32(i));
              assert.deepEqual(second.get("hints", u32(i)), u32(i * 2));
            }
            assert.equal(second.get("meta", utf8("gone")), undefined);
            assert.deepEqual(second.stats().stores, {
              objects: { entries: 50 },
              hints: { entries: 50 },
              meta: { entries: 0 },
            });
          } finally {
            await second.close();
          }
        });
    });

    describe("size limit", () => {
      const sizeBytesMax = 1024 * 1024;
      const valueBytes = 1024;
      const key = (i: number): Uint8Array => objectKey(1, u32(i));
      const filledValue = (i: number): Uint8Array => new Uint8Array(valueBytes).fill(i & 0xff);

      /** Writes 1 KiB values until the engine refuses one; returns how many were acknowledged. */
      async function fillUntilFull(engine: StorageEngine): Promise<number> {
        const attemptsMax = (4 * sizeBytesMax) / valueBytes;
        for (let i = 0; i < attemptsMax; i++) {
          try {
            await engine.update("objects", key(i), put(filledValue(i)));
          } catch (error) {
            assert.ok(error instanceof StorageFullError, `expected StorageFullError, got ${String(error)}`);
            return i;
          }
        }
        assert.fail(`no StorageFullError after ${attemptsMax} writes of ${valueBytes} bytes`);
      }

      async function withLimitedEngine(fn: (engine: StorageEngine) => Promise<void>): Promise<void> {
        const engine = await options.openWithSizeLimit(freshDir(), sizeBytesMax);
        try {
          await fn(engine);
        } finally {
          await engine.close();
        }
      }

      test("writes beyond the limit fail with StorageFullError and write nothing; reads go on", () =>
        withLimitedEngine(async (engine) => {
          const acknowledged = await fillUntilFull(engine);
          assert.ok(acknowledged > sizeBytesMax / valueBytes / 4, `only ${acknowledged} writes fit`);
          assert.equal(engine.get("objects", key(acknowledged)), undefined);
          for (let i = 0; i < acknowledged; i++)
            assert.deepEqual(engine.get("objects", key(i)), filledValue(i));
          assert.equal([...engine.scan("objects", partitionRange(1))].length, acknowledged);
          assert.equal(engine.stats().stores.objects.entries, acknowledged);
          await assert.rejects(
            engine.batch([{ store: "meta", key: utf8("big"), value: new Uint8Array(sizeBytesMax) }]),
            StorageFullError,
          );
          // Writes that do not grow the data are still accepted.
          await engine.update("objects", key(0), () => ({ write: undefined, result: 0 }));
          await engine.update("objects", key(1), put(filledValue(7)));
          assert.deepEqual(engine.get("objects", key(1)), filledValue(7));
        }));

      test("a batch that does not fit is refused as a whole while smaller writes beside it land", () =>
        withLimitedEngine(async (engine) => {
          const [small, tooBig, neighbour] = await Promise.allSettled([
            engine.batch([
              { store: "hints", key: utf8("small"), value: bytes(1) },
              { store: "meta", key: utf8("huge"), value: new Uint8Array(2 * sizeBytesMax) },
            ]),
            engine.update("meta", utf8("huge-too"), put(new Uint8Array(2 * sizeBytesMax))),
            engine.update("objects", utf8("neighbour"), put(bytes(2))),
          ]);
          assert.equal(small.status, "rejected");
          assert.ok(small.status === "rejected" && small.reason instanceof StorageFullError);
          assert.ok(tooBig.status === "rejected" && tooBig.reason instanceof StorageFullError);
          assert.equal(neighbour.status, "fulfilled");
          assert.equal(engine.get("hints", utf8("small")), undefined);
          assert.equal(engine.get("meta", utf8("huge")), undefined);
          assert.deepEqual(engine.get("objects", utf8("neighbour")), bytes(2));
        }));

      test("after deleting data the engine accepts new writes again", () =>
        withLimitedEngine(async (engine) => {
          const acknowledged = await fillUntilFull(engine);
          const half = Math.floor(acknowledged / 2);
          await engine.batch(
            Array.from({ length: half }, (_, i) => ({ store: "objects" as const, key: key(i), value: null })),
          );
          for (let i = 0; i < half / 2; i++) {
            await engine.update("objects", key(acknowledged + i), put(filledValue(i)));
          }
          assert.equal(engine.stats().stores.objects.entries, acknowledged - half + Math.ceil(half / 2));
        }));
    });
  });
}
