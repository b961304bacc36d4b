import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { StorageFullError } from "../../src/errors.js";
import { MemoryEngine } from "../../src/storage/memory-engine.js";
import { bytes, runStorageEngineSuite, utf8 } from "./engine-suite.js";

runStorageEngineSuite("memory", async () => new MemoryEngine(), {
  persistent: false,
  openWithSizeLimit: async (_dir, sizeBytesMax) => new MemoryEngine({ sizeBytesMax }),
});

describe("MemoryEngine", () => {
  test("the size limit counts key and value bytes: exactly at the limit fits, one byte more does not", async () => {
    const engine = new MemoryEngine({ sizeBytesMax: 10 });
    await engine.update("objects", utf8("ab"), () => ({ write: new Uint8Array(8), result: 0 }));
    await assert.rejects(
      engine.update("hints", utf8("c"), () => ({ write: new Uint8Array(0), result: 0 })),
      StorageFullError,
    );
    // Shrinking a value frees exactly its bytes for others.
    await engine.update("objects", utf8("ab"), () => ({ write: new Uint8Array(7), result: 0 }));
    await engine.update("hints", utf8("c"), () => ({ write: new Uint8Array(0), result: 0 }));
    assert.deepEqual(engine.stats().stores, {
      objects: { entries: 1 },
      hints: { entries: 1 },
      meta: { entries: 0 },
    });
    await engine.close();
  });

  test("update runs fn after the call returns, never synchronously", async () => {
    const engine = new MemoryEngine();
    let ran = false;
    const pending = engine.update("objects", utf8("k"), () => {
      ran = true;
      return { write: bytes(1), result: 0 };
    });
    assert.equal(ran, false);
    assert.equal(engine.get("objects", utf8("k")), undefined);
    await pending;
    assert.equal(ran, true);
    await engine.close();
  });

  test("a lazy scan interleaved with writes yields every surviving key once, in order", async () => {
    const engine = new MemoryEngine();
    await engine.batch([1, 3, 5, 7].map((i) => ({ store: "objects", key: bytes(i), value: bytes(i) })));
    const seen: number[] = [];
    for (const [key] of engine.scan("objects")) {
      seen.push(key[0]!);
      if (key[0] === 3) {
        await engine.batch([
          { store: "objects", key: bytes(2), value: bytes(2) },
          { store: "objects", key: bytes(3), value: null },
          { store: "objects", key: bytes(4), value: bytes(4) },
        ]);
      }
    }
    assert.deepEqual(seen, [1, 3, 4, 5, 7]);
    await engine.close();
  });
});
