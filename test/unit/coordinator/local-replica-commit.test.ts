import assert from "node:assert/strict";
import { test } from "node:test";
import { LocalReplica } from "../../../src/coordinator/local-replica.js";
import { conflictResolution } from "../../../src/core/conflict-mode.js";
import type { Sibling } from "../../../src/core/stored-object.js";
import { StorageFailedError, TooManySiblingsError } from "../../../src/errors.js";
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

function replicaOn(storage: StorageEngine, siblingsMax = 100): LocalReplica {
  return new LocalReplica(
    storage,
    {
      actor: "n1@a",
      siblingsMax,
      siblingsWarn: siblingsMax,
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
