import assert from "node:assert/strict";
import { test } from "node:test";
import { HintStore, HintStoreFullError } from "../../../src/coordinator/hint-store.js";
import { emptyDvvSet, update, values } from "../../../src/core/causality/index.js";
import type { Sibling, StoredObject } from "../../../src/core/stored-object.js";
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
  const store = new HintStore(new MemoryEngine(), 10);
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
  const store = new HintStore(new MemoryEngine(), 1);
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
  let refused = 0;
  const store = new HintStore(new MemoryEngine(), 2, { onStored: () => {}, onRefused: () => (refused += 1) });
  await store.add("n2", 1, key("a"), object("1"));
  await store.add("n2", 1, key("b"), object("2"));
  await assert.rejects(store.add("n2", 1, key("c"), object("3")), HintStoreFullError);
  assert.equal(refused, 1);
  assert.equal(store.read("n2", 1, key("c")), undefined, "nothing stored for the refused hint");
  await store.add("n3", 1, key("c"), object("3"));
  assert.equal(store.targets().get("n3"), 1);
});

test("a delivered hint is removed only if it did not change meanwhile; counts survive a reopen", async () => {
  const engine = new MemoryEngine();
  const store = new HintStore(engine, 10);
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
  const reopened = new HintStore(engine, 10);
  assert.deepEqual([...reopened.targets()], [["n2", 1]]);
});
