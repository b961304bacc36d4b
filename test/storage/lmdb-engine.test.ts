import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { StorageFullError, StorageOpenError } from "../../src/errors.js";
import { openLmdbEngine } from "../../src/storage/lmdb-engine.js";
import { objectKey } from "../../src/storage/object-key.js";
import { runStorageEngineSuite, utf8 } from "./engine-suite.js";

const MAP_SIZE_BYTES_MAX = 256 * 1024 * 1024;

runStorageEngineSuite("lmdb", (dir) => openLmdbEngine({ path: dir, mapSizeBytesMax: MAP_SIZE_BYTES_MAX }), {
  persistent: true,
  openWithSizeLimit: (dir, sizeBytesMax) => openLmdbEngine({ path: dir, mapSizeBytesMax: sizeBytesMax }),
});

describe("LmdbEngine", () => {
  let rootDir = "";
  before(() => {
    rootDir = fs.mkdtempSync(path.join(os.tmpdir(), "ringkv-lmdb-"));
  });
  after(() => {
    fs.rmSync(rootDir, { recursive: true, force: true });
  });

  test("a path below a regular file fails with a one-line StorageOpenError naming the path", async () => {
    const file = path.join(rootDir, "a-file");
    fs.writeFileSync(file, "not a directory");
    const target = path.join(file, "db");
    await assert.rejects(openLmdbEngine({ path: target, mapSizeBytesMax: MAP_SIZE_BYTES_MAX }), (error) => {
      assert.ok(error instanceof StorageOpenError);
      assert.ok(error.message.includes(target), error.message);
      assert.ok(error.message.includes("ENOTDIR"), error.message);
      assert.ok(!error.message.includes("\n"), error.message);
      return true;
    });
  });

  test("a path that is a regular file fails with StorageOpenError", async () => {
    const file = path.join(rootDir, "data-file");
    fs.writeFileSync(file, "not a directory");
    await assert.rejects(
      openLmdbEngine({ path: file, mapSizeBytesMax: MAP_SIZE_BYTES_MAX }),
      StorageOpenError,
    );
  });

  test("the files on disk stay near the limit however long writers keep hitting it", async () => {
    const dir = path.join(rootDir, "bounded");
    const mapSizeBytesMax = 1024 * 1024;
    const engine = await openLmdbEngine({ path: dir, mapSizeBytesMax });
    try {
      let refused = 0;
      for (let round = 0; round < 20; round++) {
        const writes = Array.from({ length: 100 }, (_, i) =>
          engine.update("objects", objectKey(round, utf8(`k${i}`)), () => ({
            write: new Uint8Array(3000),
            result: 0,
          })),
        );
        for (const result of await Promise.allSettled(writes)) {
          if (result.status === "rejected") {
            assert.ok(result.reason instanceof StorageFullError);
            refused++;
          }
        }
      }
      assert.ok(refused > 1000, `only ${refused} writes refused`);
      // Without the engine's own limit lmdb-js would grow the map and the file to about 6 MB here.
      const dataBytes = fs.statSync(path.join(dir, "data.mdb")).size;
      assert.ok(dataBytes <= 1.5 * mapSizeBytesMax, `data.mdb is ${dataBytes} bytes`);
      assert.equal(engine.stats().diskBytes, dataBytes);
    } finally {
      await engine.close();
    }
  });

  test("an engine that was full reopens with all acknowledged data and accepts deletes", async () => {
    const dir = path.join(rootDir, "full-reopen");
    const mapSizeBytesMax = 512 * 1024;
    const first = await openLmdbEngine({ path: dir, mapSizeBytesMax });
    let acknowledged = 0;
    try {
      // Bounded so a missing limit fails the test instead of hanging it.
      for (let attempt = 0; attempt < 10_000; attempt++) {
        try {
          await first.update("objects", objectKey(0, utf8(`k${acknowledged}`)), () => ({
            write: new Uint8Array(500),
            result: 0,
          }));
          acknowledged++;
        } catch (error) {
          assert.ok(error instanceof StorageFullError);
          break;
        }
      }
    } finally {
      await first.close();
    }
    assert.ok(acknowledged > 0 && acknowledged < 10_000, `${acknowledged} writes acknowledged`);
    const second = await openLmdbEngine({ path: dir, mapSizeBytesMax });
    try {
      assert.equal(second.stats().stores.objects.entries, acknowledged);
      await second.update("objects", objectKey(0, utf8("k0")), () => ({ write: null, result: 0 }));
      assert.equal(second.get("objects", objectKey(0, utf8("k0"))), undefined);
    } finally {
      await second.close();
    }
  });
});
