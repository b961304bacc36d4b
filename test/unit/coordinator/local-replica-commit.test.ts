import assert from "node:assert/strict";
import { test } from "node:test";
import { LocalReplica } from "../../../src/coordinator/local-replica.js";
import { join } from "../../../src/core/causality/index.js";
import { conflictResolution } from "../../../src/core/conflict-mode.js";
import { encodeStoredObject, type Sibling } from "../../../src/core/stored-object.js";
import { ObjectTooLargeError, StorageFailedError, TooManySiblingsError } from "../../../src/errors.js";
import { silentLogger } from "../../../src/log/logger.js";
import { NodeMetrics } from "../../../src/metrics/node-metrics.js";
import type { StorageEngine } from "../../../src/storage/engine.js";
import { MemoryEngine } from "../../../src/storage/memory-engine.js";
import { FailingCommitEngine } from "../../support/failing-commit-engine.js";

const sibling = (text: string): Sibling => ({
  value: new TextEncoder().encode(text),
  contentType: "text/plain",
  deleted: false,
  writtenAtMs: 1,
});

function replicaOn(
  storage: StorageEngine,
  siblingsMax = 100,
  objectBytesMax = 8 * 1024 * 1024,
  actor = "n1@a",
): LocalReplica {
  return new LocalReplica(
    storage,
    {
      actor,
      siblingsMax,
      siblingsWarn: siblingsMax,
      objectBytesMax,
      conflicts: conflictResolution("causal", () => 0),
    },
    silentLogger(),
    new NodeMetrics("n1", () => storage.stats(), { processMetrics: false }),
  );
}

const key = new TextEncoder().encode("k");

test("a coordinated write is handed on once applied, and resolves once durable", async () => {
  const replica = replicaOn(new MemoryEngine());
  let handedOn: number | undefined;
  const durable = await replica.coordinateWrite(1, key, [], sibling("v1"), (after) => {
    handedOn = after.entries[0]?.counter;
  });
  assert.equal(handedOn, 1);
  assert.equal(durable.entries[0]?.counter, 1);
  assert.equal(
    await replica.settle(),
    true,
    "every coordinated write is durable: a clean stop may be recorded",
  );
});

test("a commit that fails after the write was handed on stops all coordination and forbids a clean stop", async () => {
  const engine = new FailingCommitEngine();
  const replica = replicaOn(engine);
  await replica.coordinateWrite(1, key, [], sibling("v1"));
  engine.failNext = true;
  let handedOn = false;
  await assert.rejects(
    replica.coordinateWrite(1, key, [], sibling("v2"), () => {
      handedOn = true;
    }),
    /EIO/,
  );
  assert.equal(handedOn, true);
  // The next write here would reuse the failed write's dot (counter 2) for another value.
  await assert.rejects(replica.coordinateWrite(1, key, [], sibling("v3")), StorageFailedError);
  assert.equal(await replica.settle(), false);
});

test("a write refused before it was applied (too many siblings) leaves coordination working", async () => {
  const tight = replicaOn(new MemoryEngine(), 1);
  await tight.coordinateWrite(1, key, [], sibling("a"));
  let handedOn = false;
  await assert.rejects(
    tight.coordinateWrite(1, key, [], sibling("b"), () => {
      handedOn = true;
    }),
    TooManySiblingsError,
  );
  assert.equal(handedOn, false);
  await tight.coordinateWrite(1, key, [["n1@a", 1]], sibling("c"));
  assert.equal(await tight.settle(), true);
});

test("a write that would grow a key's object past the limit is refused; one that shrinks it, and merges, are not", async () => {
  const storage = new MemoryEngine();
  const replica = replicaOn(storage, 100, 3000);
  const big = (tag: string): Sibling => ({
    ...sibling(tag),
    value: new Uint8Array(1000).fill(tag.charCodeAt(0)),
  });
  // Blind writes (no context) pile up as siblings: two fit in 3000 bytes, a third does not.
  await replica.coordinateWrite(1, key, [], big("a"));
  const two = await replica.coordinateWrite(1, key, [], big("b"));
  await assert.rejects(
    replica.coordinateWrite(1, key, [], big("c")),
    (e: unknown) => e instanceof ObjectTooLargeError && e.objectBytesMax === 3000 && e.objectBytes > 3000,
  );
  assert.equal(
    replica.read(1, key)?.entries.flatMap((e) => e.values).length,
    2,
    "the refused write left nothing",
  );
  // A write with the context of a read supersedes both: the object shrinks, and it is accepted.
  const resolved = await replica.coordinateWrite(1, key, join(two), big("d"));
  assert.equal(resolved.entries.flatMap((e) => e.values).length, 1);
  // A history from another replica is merged whatever its size: it holds acknowledged writes.
  const other = replicaOn(new MemoryEngine(), 100, 1_000_000, "n2@b");
  await other.coordinateWrite(1, key, [], big("x"));
  await other.coordinateWrite(1, key, [], big("y"));
  const theirs = await other.coordinateWrite(1, key, [], big("z"));
  const merged = await replica.merge(1, key, theirs);
  assert.equal(
    merged.entries.flatMap((e) => e.values).length,
    4,
    "d and x, y, z: 4 siblings, over 3000 bytes",
  );
  assert.ok(encodeStoredObject(merged).length > 3000);
});
