import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  digestOf,
  entryId,
  type MetadataEntry,
  newerEntry,
  nextVersion,
} from "../../../src/core/metadata/entry.js";
import {
  isRefusedEntry,
  metadataEntryProblem,
  parseMetadataEntries,
} from "../../../src/protocol/metadata-schema.js";

const entryArb: fc.Arbitrary<MetadataEntry> = fc.record({
  space: fc.constantFrom("tokens" as const, "namespaces" as const),
  key: fc.constantFrom("a", "b", "c"),
  value: fc.option(
    fc.constantFrom("read", "admin").map((role) => ({ role })),
    { nil: null },
  ),
  version: fc.integer({ min: 0, max: 20 }),
  writer: fc.constantFrom("n1", "n2", "n3"),
});

/** A store as every node keeps it: one winner per (space, key). */
function mergeAll(entries: readonly MetadataEntry[]): Map<string, MetadataEntry> {
  const store = new Map<string, MetadataEntry>();
  for (const e of entries) {
    const id = entryId(e.space, e.key);
    const mine = store.get(id);
    store.set(id, mine === undefined ? e : newerEntry(mine, e));
  }
  return store;
}

describe("cluster metadata entries", () => {
  it("merge to the same store in any order, any number of times (a join)", () => {
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 30 }), fc.integer(), (entries, seed) => {
        const shuffled = [...entries].sort(
          (a, b) => ((a.version * 31 + seed) % 7) - ((b.version * 31 + seed) % 7),
        );
        const twice = [...entries, ...shuffled];
        const a = mergeAll(entries);
        const b = mergeAll(shuffled);
        const c = mergeAll(twice);
        const view = (m: Map<string, MetadataEntry>) =>
          JSON.stringify([...m.entries()].sort(([x], [y]) => (x < y ? -1 : 1)));
        assert.equal(view(a), view(b));
        assert.equal(view(a), view(c));
        assert.equal(digestOf(a.values()), digestOf([...b.values()].reverse()));
      }),
    );
  });

  it("a later write wins even when the writer's clock is behind, and a delete wins like a write", () => {
    const set: MetadataEntry = {
      space: "tokens",
      key: "a",
      value: { role: "read" },
      version: 1000,
      writer: "n2",
    };
    const version = nextVersion(5, set);
    assert.equal(version, 1001);
    const del: MetadataEntry = { ...set, value: null, version, writer: "n1" };
    assert.equal(newerEntry(set, del), del);
    assert.equal(newerEntry(del, set), del);
    assert.equal(nextVersion(2000, set), 2000);
  });

  it("skips peer entries that are not well formed (naming the problem) and keeps the others", () => {
    const good = {
      space: "tokens",
      key: "a",
      value: { role: "read", n: 3, on: true },
      version: 5,
      writer: "n1",
    };
    assert.equal(metadataEntryProblem(good), undefined);
    assert.deepEqual(parseMetadataEntries([good]), [good]);
    const bad: [unknown, RegExp][] = [
      [{ ...good, space: "secrets" }, /space/],
      [{ ...good, key: "" }, /key/],
      [{ ...good, key: "k".repeat(200) }, /key/],
      [{ ...good, version: 2 ** 53 }, /version/],
      [{ ...good, version: -1 }, /version/],
      [{ ...good, writer: "bad id" }, /writer/],
      [{ ...good, value: [1] }, /value/],
      [{ ...good, value: { x: { nested: 1 } } }, /field x/],
      [{ ...good, value: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`f${i}`, i])) }, /fields/],
      ["nope", /map/],
    ];
    for (const [entry, problem] of bad) {
      assert.match(metadataEntryProblem(entry) ?? "", problem, JSON.stringify(entry).slice(0, 80));
      const parsed = parseMetadataEntries([good, entry, good]);
      assert.deepEqual(parsed[0], good);
      assert.deepEqual(parsed[2], good);
      const skipped = parsed[1];
      assert.ok(skipped !== undefined && isRefusedEntry(skipped));
      assert.match(skipped.refused, /^entries\[1\]: /);
      assert.match(skipped.refused, problem);
    }
    assert.throws(() => parseMetadataEntries(new Array(4097).fill(good)), /more than 4096/);
    assert.throws(() => parseMetadataEntries({ 0: good }), /not an array/);
  });
});
