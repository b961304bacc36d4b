import assert from "node:assert/strict";
import { test } from "node:test";
import { NodeMeta } from "../../src/node-meta.js";
import { SeededRandom } from "../../src/random/seeded-random.js";
import { MemoryEngine } from "../../src/storage/memory-engine.js";

test("a run that never recorded its end is reported unclean at the next start; a recorded end is not", async () => {
  const storage = new MemoryEngine();
  const meta = new NodeMeta(storage);
  assert.equal(await meta.beginRun(), false, "a fresh data directory");
  assert.equal(await meta.beginRun(), true, "the last run was never ended");
  await meta.endRun();
  assert.equal(await meta.beginRun(), false);
  await storage.close();
});

test("the run mark survives a crash of the storage: an unclean run is detected after it", async () => {
  const syncs: (() => void)[] = [];
  const storage = new MemoryEngine({
    sizeBytesMax: Number.POSITIVE_INFINITY,
    scheduleSync: (s) => syncs.push(s),
  });
  const began = new NodeMeta(storage).beginRun();
  await new Promise((resolve) => setImmediate(resolve));
  for (const sync of syncs.splice(0)) sync();
  assert.equal(await began, false);
  const recovered = storage.crash();
  assert.equal(await new NodeMeta(recovered).beginRun(), true);
});

test("rotating the actor keeps the node id, draws a new epoch and persists it", async () => {
  const storage = new MemoryEngine();
  const meta = new NodeMeta(storage);
  const random = new SeededRandom(7);
  const first = await meta.identity("n1", random, 0);
  const rotated = await meta.rotateActor(first, random);
  assert.equal(rotated.id, "n1");
  assert.match(rotated.actor, /^n1@/);
  assert.notEqual(rotated.actor, first.actor);
  assert.deepEqual(await meta.identity("n1", random, 0), rotated);
  await storage.close();
});
