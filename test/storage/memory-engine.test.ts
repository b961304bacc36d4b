import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { StorageFullError } from "../../src/errors.js";
import { MemoryEngine } from "../../src/storage/memory-engine.js";
import { bytes, runStorageEngineSuite, utf8 } from "./engine-suite.js";

runStorageEngineSuite("memory", async () => new MemoryEngine(), {
  persistent: false,
  openWithSizeLimit: async (_dir, sizeBytesMax) => new MemoryEngine({ sizeBytesMax }),
});

// The same contract holds when writes become durable later than they are applied.
runStorageEngineSuite("memory with deferred sync", async () => deferredSyncEngine(), {
  persistent: false,
  openWithSizeLimit: async (_dir, sizeBytesMax) => deferredSyncEngine(sizeBytesMax),
});

function deferredSyncEngine(sizeBytesMax = Number.POSITIVE_INFINITY): MemoryEngine {
  return new MemoryEngine({ sizeBytesMax, scheduleSync: (sync) => setTimeout(sync, 1) });
}

/** An engine whose syncs run only when the test says so. */
function manualSyncEngine(): { engine: MemoryEngine; sync: () => void; requested: () => number } {
  const syncs: (() => void)[] = [];
  const engine = new MemoryEngine({
    sizeBytesMax: Number.POSITIVE_INFINITY,
    scheduleSync: (sync) => syncs.push(sync),
  });
  return {
    engine,
    sync: () => {
      for (const sync of syncs.splice(0)) sync();
    },
    requested: () => syncs.length,
  };
}

/** Lets every queued promise callback run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("MemoryEngine with deferred sync", () => {
  test("a write is invisible to reads and unresolved until the sync, then both at once", async () => {
    const { engine, sync, requested } = manualSyncEngine();
    let resolved = false;
    const write = engine.update("objects", utf8("k"), () => ({ write: bytes(1), result: "done" }));
    void write.then(() => {
      resolved = true;
    });
    await settle();
    assert.equal(requested(), 1);
    assert.equal(engine.unsyncedWrites, 1);
    assert.equal(engine.get("objects", utf8("k")), undefined);
    assert.equal(resolved, false);
    sync();
    assert.deepEqual(engine.get("objects", utf8("k")), bytes(1));
    assert.equal(await write, "done");
    assert.equal(engine.unsyncedWrites, 0);
  });

  test("a later update of the key sees the unsynced write, as writes in one transaction do", async () => {
    const { engine, sync } = manualSyncEngine();
    const first = engine.update("objects", utf8("k"), () => ({ write: bytes(1), result: 0 }));
    const seen: (number | undefined)[] = [];
    const second = engine.update("objects", utf8("k"), (old) => {
      seen.push(old?.[0]);
      return { write: bytes(2), result: 0 };
    });
    const deleted = engine.update("objects", utf8("k"), (old) => {
      seen.push(old?.[0]);
      return { write: null, result: 0 };
    });
    const third = engine.update("objects", utf8("k"), (old) => {
      seen.push(old?.[0]);
      return { write: bytes(3), result: 0 };
    });
    await settle();
    sync();
    await Promise.all([first, second, deleted, third]);
    assert.deepEqual(seen, [1, 2, undefined]);
    assert.deepEqual(engine.get("objects", utf8("k")), bytes(3));
  });

  test("writes resolve in the order they were applied", async () => {
    const { engine, sync } = manualSyncEngine();
    const order: string[] = [];
    const a = engine
      .update("objects", utf8("a"), () => ({ write: bytes(1), result: 0 }))
      .then(() => order.push("a"));
    const b = engine.batch([{ store: "hints", key: utf8("b"), value: bytes(2) }]).then(() => order.push("b"));
    const c = engine
      .update("meta", utf8("c"), () => ({ write: bytes(3), result: 0 }))
      .then(() => order.push("c"));
    await settle();
    sync();
    await Promise.all([a, b, c]);
    assert.deepEqual(order, ["a", "b", "c"]);
  });

  test("a crash keeps every synced write and loses every unsynced one; its pending writes never settle", async () => {
    const { engine, sync } = manualSyncEngine();
    await Promise.all([
      engine.update("objects", utf8("kept"), () => ({ write: bytes(1), result: 0 })),
      engine.batch([{ store: "meta", key: utf8("gen"), value: bytes(7) }]),
      (async () => {
        await settle();
        sync();
      })(),
    ]);
    let settled = false;
    const lost = engine.update("objects", utf8("lost"), () => ({ write: bytes(2), result: 0 }));
    const overwritten = engine.update("objects", utf8("kept"), () => ({ write: bytes(9), result: 0 }));
    void Promise.race([lost, overwritten]).finally(() => {
      settled = true;
    });
    await settle();
    assert.equal(engine.unsyncedWrites, 2);
    const recovered = engine.crash();
    sync();
    await settle();
    assert.equal(settled, false);
    assert.deepEqual(recovered.get("objects", utf8("kept")), bytes(1));
    assert.equal(recovered.get("objects", utf8("lost")), undefined);
    assert.deepEqual(recovered.get("meta", utf8("gen")), bytes(7));
    assert.equal(recovered.stats().stores.objects.entries, 1);
    // The dead engine still answers reads from what it had synced, and accepts writes that never land.
    assert.deepEqual(engine.get("objects", utf8("kept")), bytes(1));
    let late = false;
    void engine
      .update("objects", utf8("late"), () => ({ write: bytes(3), result: 0 }))
      .then(() => {
        late = true;
      });
    await settle();
    assert.equal(late, false);
    assert.equal(recovered.get("objects", utf8("late")), undefined);
    // The recovered engine is an ordinary engine with the same sync behaviour.
    const next = recovered.update("objects", utf8("new"), () => ({ write: bytes(4), result: "ok" }));
    await settle();
    sync();
    assert.equal(await next, "ok");
    await recovered.close();
  });

  test("onApplied fires before the sync, so what it sent on may be all that is left after a crash", async () => {
    const { engine, sync } = manualSyncEngine();
    let appliedWith: string | undefined;
    let durable = false;
    void engine
      .update(
        "objects",
        utf8("k"),
        () => ({ write: bytes(1), result: "v1" }),
        (r) => {
          appliedWith = r;
        },
      )
      .then(() => {
        durable = true;
      });
    await settle();
    assert.equal(appliedWith, "v1", "reported applied while the sync is still pending");
    assert.equal(durable, false);
    const recovered = engine.crash();
    sync();
    assert.equal(recovered.get("objects", utf8("k")), undefined, "the crash lost the applied write");
    await recovered.close();
  });

  test("without scheduleSync a crash loses nothing that was applied", async () => {
    const engine = new MemoryEngine();
    await engine.update("objects", utf8("k"), () => ({ write: bytes(1), result: 0 }));
    const recovered = engine.crash();
    assert.deepEqual(recovered.get("objects", utf8("k")), bytes(1));
    await recovered.close();
  });
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
