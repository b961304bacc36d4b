import assert from "node:assert/strict";
import { test } from "node:test";
import { HintStore, HintStoreFullError } from "../../../src/coordinator/hint-store.js";
import { emptyDvvSet, update, values } from "../../../src/core/causality/index.js";
import { encodeStoredObject, type Sibling, type StoredObject } from "../../../src/core/stored-object.js";
import { MemoryEngine } from "../../../src/storage/memory-engine.js";

const key = (s: string): Uint8Array => new TextEncoder().encode(s);
const sibling = (v: string): Sibling => ({
  value: key(v),
  contentType: "text/plain",
  deleted: false,
  writtenAtMs: 1,
});
const object = (v: string, actor = "a@1"): StoredObject =>
  update(emptyDvvSet<Sibling>(), [], actor, sibling(v));

test("hints are counted per target and read back per key", async () => {
  const store = new HintStore(new MemoryEngine(), { hintsPerTargetMax: 10, nowMs: () => 0 });
  await store.add("n2", 1, key("x"), object("1"));
  await store.add("n2", 2, key("y"), object("2"));
  await store.add("n3", 1, key("x"), object("3"));
  assert.deepEqual(
    [...store.targets()],
    [
      ["n2", 2],
      ["n3", 1],
    ],
  );
  assert.equal(store.total(), 3);
  const hint = store.read("n2", 2, key("y"));
  assert.ok(hint);
  assert.deepEqual(
    values(hint).map((s) => new TextDecoder().decode(s.value)),
    ["2"],
  );
  assert.equal(store.read("n2", 1, key("y")), undefined);
});

test("a second hint for the same key merges into the first instead of adding one", async () => {
  const store = new HintStore(new MemoryEngine(), { hintsPerTargetMax: 1, nowMs: () => 0 });
  await store.add("n2", 1, key("x"), object("first", "a@1"));
  await store.add("n2", 1, key("x"), object("second", "b@1"));
  assert.equal(store.targets().get("n2"), 1);
  const merged = store.read("n2", 1, key("x"));
  assert.deepEqual(
    values(merged ?? emptyDvvSet<Sibling>())
      .map((s) => new TextDecoder().decode(s.value))
      .sort(),
    ["first", "second"],
  );
});

test("a target at its limit refuses new keys with HintStoreFullError, other targets are unaffected", async () => {
  const refused: string[] = [];
  const stored: string[] = [];
  const store = new HintStore(new MemoryEngine(), {
    hintsPerTargetMax: 2,
    nowMs: () => 0,
    onRefused: (target) => refused.push(target),
    onStored: (target) => stored.push(target),
  });
  await store.add("n2", 1, key("a"), object("1"));
  await store.add("n2", 1, key("b"), object("2"));
  await assert.rejects(store.add("n2", 1, key("c"), object("3")), HintStoreFullError);
  assert.deepEqual(refused, ["n2"]);
  assert.equal(store.read("n2", 1, key("c")), undefined, "nothing stored for the refused hint");
  await store.add("n3", 1, key("c"), object("3"));
  assert.equal(store.targets().get("n3"), 1);
  assert.deepEqual(stored, ["n2", "n2", "n3"], "each stored hint is reported with its target");
});

test("a delivered hint is removed only if it did not change meanwhile; counts survive a reopen", async () => {
  const engine = new MemoryEngine();
  const store = new HintStore(engine, { hintsPerTargetMax: 10, nowMs: () => 0 });
  await store.add("n2", 7, key("k"), object("v1", "a@1"));
  await store.add("n2", 7, key("other"), object("o"));
  const [pending] = store.pending("n2", 1);
  assert.ok(pending);
  assert.equal(pending.partition, 7);
  await store.add("n2", 7, pending.key, object("v2", "b@1"));
  assert.equal(await store.removeIfUnchanged("n2", pending), false, "a newer write was merged in");
  const [fresh] = store.pending("n2", 1);
  assert.ok(fresh);
  assert.equal(await store.removeIfUnchanged("n2", fresh), true);
  const reopened = new HintStore(engine, { hintsPerTargetMax: 10, nowMs: () => 0 });
  assert.deepEqual([...reopened.targets()], [["n2", 1]]);
});

test("a hint keeps the time of its first write; expire drops those past the window, in bounded sweeps", async () => {
  let now = 1000;
  const store = new HintStore(new MemoryEngine(), { hintsPerTargetMax: 100, nowMs: () => now });
  await store.add("n2", 1, key("old"), object("1", "a@1"));
  now = 5000;
  // A later write merged into the old hint does not make it young again.
  await store.add("n2", 1, key("old"), object("2", "b@1"));
  for (const k of ["a", "b", "c"]) await store.add("n3", 1, key(k), object(k));
  assert.deepEqual(
    store.pending("n2", 10).map((r) => r.storedAtMs),
    [1000],
  );
  now = 8000;
  let after: Uint8Array | undefined;
  let expired = 0;
  let sweeps = 0;
  do {
    const result = await store.expire(5000, 2, after);
    for (const [target, count] of result.expired) {
      assert.equal(target, "n2", "only n2's hint is old");
      expired += count;
    }
    after = result.next;
    sweeps += 1;
  } while (after !== undefined);
  assert.equal(expired, 1, "only the hint first stored at 1000 is 5000 ms old or more at 8000");
  assert.equal(sweeps, 2, "4 hints, 2 per sweep");
  assert.equal(store.read("n2", 1, key("old")), undefined);
  assert.deepEqual([...store.targets()], [["n3", 3]]);
  now = 10_000;
  const all = await store.expire(5000, 10, undefined);
  assert.deepEqual([[...all.expired], all.next], [[["n3", 3]], undefined]);
  assert.equal(store.total(), 0);
});

test("a hint written before hints had a time counts as stored when the store opened", async () => {
  const engine = new MemoryEngine();
  const partition = Buffer.alloc(4);
  partition.writeUInt32BE(3, 0);
  const hintKey = Buffer.concat([Buffer.from([2]), Buffer.from("n2"), partition, Buffer.from("k")]);
  await engine.batch([{ store: "hints", key: hintKey, value: encodeStoredObject(object("legacy")) }]);
  let now = 50_000;
  const store = new HintStore(engine, { hintsPerTargetMax: 10, nowMs: () => now });
  const [record] = store.pending("n2", 10);
  assert.equal(record?.storedAtMs, 50_000);
  assert.deepEqual(
    values(store.read("n2", 3, key("k")) ?? emptyDvvSet<Sibling>()).map((s) => s.value.length),
    [6],
  );
  now = 52_000;
  assert.deepEqual([...(await store.expire(1000, 10, undefined)).expired], [["n2", 1]]);
});
