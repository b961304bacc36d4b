import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { encodeKey } from "../../../src/core/namespace/index.js";
import { partitionOf } from "../../../src/core/partition.js";
import { NamespaceKeyCounts } from "../../../src/node/namespace-key-counts.js";
import { MemoryEngine, objectKey } from "../../../src/storage/index.js";
import { ManualClock } from "../../net/fake-clocks.js";

const PARTITIONS = 8;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

async function engineWith(keys: [string, string][]): Promise<MemoryEngine> {
  const engine = new MemoryEngine();
  await engine.batch(
    keys.map(([ns, key]) => {
      const stored = encodeKey(ns, enc(key));
      return {
        store: "objects" as const,
        key: objectKey(partitionOf(stored, PARTITIONS), stored),
        value: enc("x"),
      };
    }),
  );
  return engine;
}

function expected(keys: [string, string][]): { name: string; keys: number }[] {
  const counts = new Map<string, number>();
  for (const [ns] of keys) counts.set(ns, (counts.get(ns) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, n]) => ({ name, keys: n }));
}

describe("per-namespace key counts", () => {
  test("count every stored key once, under its own namespace, across every partition", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(
          fc.tuple(
            fc.constantFrom("default", "a", "a.b", "ab", "zz-9"),
            fc.string({ minLength: 1, maxLength: 5 }),
          ),
          { maxLength: 120, selector: ([ns, k]) => `${ns}\u0000${k}` },
        ),
        async (keys) => {
          const counts = new NamespaceKeyCounts(await engineWith(keys), new ManualClock(), PARTITIONS);
          const report = counts.current();
          assert.equal(report.complete, true);
          assert.deepEqual(report.namespaces, expected(keys));
        },
      ),
    );
  });

  test("a scan limit cuts the count short and says so", async () => {
    const keys: [string, string][] = Array.from({ length: 50 }, (_, i) => ["a", `k${i}`]);
    const counts = new NamespaceKeyCounts(await engineWith(keys), new ManualClock(), PARTITIONS, {
      refreshIntervalMs: 1000,
      entriesScannedMax: 20,
      namespacesMax: 64,
    });
    const report = counts.current();
    assert.equal(report.complete, false);
    const total = report.namespaces.reduce((sum, n) => sum + n.keys, 0);
    assert.ok(total <= 20 && total > 0, `${total}`);
  });

  test("a namespace limit names at most that many namespaces", async () => {
    const keys: [string, string][] = Array.from({ length: 10 }, (_, i) => [`ns${i}`, "k"]);
    const counts = new NamespaceKeyCounts(await engineWith(keys), new ManualClock(), PARTITIONS, {
      refreshIntervalMs: 1000,
      entriesScannedMax: 1000,
      namespacesMax: 3,
    });
    const report = counts.current();
    assert.equal(report.complete, false);
    assert.ok(report.namespaces.length <= 3);
  });

  test("a count is reused until the refresh interval passed", async () => {
    const engine = await engineWith([["a", "k1"]]);
    const clock = new ManualClock();
    const counts = new NamespaceKeyCounts(engine, clock, PARTITIONS, {
      refreshIntervalMs: 1000,
      entriesScannedMax: 1000,
      namespacesMax: 64,
    });
    assert.deepEqual(counts.current().namespaces, [{ name: "a", keys: 1 }]);
    const stored = encodeKey("a", enc("k2"));
    await engine.batch([
      { store: "objects", key: objectKey(partitionOf(stored, PARTITIONS), stored), value: enc("x") },
    ]);
    assert.deepEqual(counts.current().namespaces, [{ name: "a", keys: 1 }]);
    await clock.advance(1000);
    assert.deepEqual(counts.current().namespaces, [{ name: "a", keys: 2 }]);
  });
});
