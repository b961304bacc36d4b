import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { claim, preferenceList } from "../../../src/core/ring/index.js";

/** A seed per property, so a failure reproduces; fast-check prints the counterexample. */
const SEED = 16;

interface ZonedRing {
  partitions: number;
  n: number;
  ids: string[];
  /** Member id -> zone; members missing from it have no zone (they count as their own zone). */
  zones: Map<string, string>;
}

/** 1..64 members, each in one of 1..6 zones at random, a few without a zone. */
const zonedRing: fc.Arbitrary<ZonedRing> = fc
  .record({
    partitions: fc.constantFrom(64, 256, 1024),
    n: fc.constantFrom(3, 3, 2, 5),
    zoneCount: fc.integer({ min: 1, max: 6 }),
    size: fc.integer({ min: 1, max: 64 }),
  })
  .chain(({ partitions, n, zoneCount, size }) =>
    fc
      .array(fc.integer({ min: -1, max: (zoneCount - 1) * 8 }), { minLength: size, maxLength: size })
      .map((draws) => {
        const ids = draws.map((_, i) => `m${String(i).padStart(2, "0")}`);
        const zones = new Map<string, string>();
        // -1: no zone (rarely); else one of zoneCount zones.
        draws.forEach((d, i) => {
          if (d >= 0) zones.set(ids[i] as string, `zone-${Math.floor(d / 8)}`);
        });
        return { partitions, n, ids, zones };
      }),
  );

const zoneKey = (r: ZonedRing, id: string): string => r.zones.get(id) ?? `own:${id}`;

function nodesPerZone(r: ZonedRing, ids: readonly string[]): Map<string, string[]> {
  const per = new Map<string, string[]>();
  for (const id of ids) per.set(zoneKey(r, id), [...(per.get(zoneKey(r, id)) ?? []), id]);
  return per;
}

/**
 * The documented precondition for zone-distinct home replicas: the members span at least N zones
 * and no zone has more than Q/(2N) nodes (a zone owns at most about Q/N partitions, every node
 * must own one, and the layout needs room for doubles).
 */
function zonesSuffice(r: ZonedRing, ids: readonly string[]): boolean {
  const per = nodesPerZone(r, ids);
  return per.size >= r.n && [...per.values()].every((nodes) => nodes.length <= r.partitions / (2 * r.n));
}

function assertHomeZonesDistinct(r: ZonedRing, owners: readonly string[]): void {
  for (let p = 0; p < owners.length; p++) {
    const home = preferenceList(owners, p, r.n);
    assert.equal(home.length, r.n);
    assert.equal(new Set(home.map((id) => zoneKey(r, id))).size, r.n, `partition ${p}: ${home.join(",")}`);
  }
}

function counts(owners: readonly string[]): Map<string, number> {
  const c = new Map<string, number>();
  for (const o of owners) c.set(o, (c.get(o) ?? 0) + 1);
  return c;
}

/**
 * The documented balance limits: every member owns a partition; a zone owns at most ceil(Q/N)
 * partitions; within a zone nodes differ by at most 2; zones below that cap have per-node shares
 * within 2 partitions of each other, and a zone at the cap has no larger per-node share than
 * those (the cap only ever holds a zone back).
 */
function assertBalanced(r: ZonedRing, ids: readonly string[], owners: readonly string[]): void {
  const c = counts(owners);
  for (const id of ids) assert.ok((c.get(id) ?? 0) >= 1, `${id} owns no partition`);
  const cap = Math.ceil(r.partitions / r.n);
  const below: number[] = [];
  const atCap: number[] = [];
  for (const nodes of nodesPerZone(r, ids).values()) {
    const owned = nodes.map((id) => c.get(id) ?? 0);
    const total = owned.reduce((a, b) => a + b, 0);
    assert.ok(total <= cap, `a zone owns ${total} > ceil(Q/N) = ${cap}`);
    assert.ok(Math.max(...owned) - Math.min(...owned) <= 2, `nodes of a zone own ${owned.join(",")}`);
    (total === cap ? atCap : below).push(total / nodes.length);
  }
  if (below.length > 0) {
    assert.ok(Math.max(...below) - Math.min(...below) <= 2, `per-node shares ${below.join(",")}`);
    for (const share of atCap) assert.ok(share <= Math.max(...below) + 2, `capped share ${share}`);
  }
}

describe("zone-aware claim (property tests over 1..64 nodes in 1..6 zones)", () => {
  test("whenever the members span >= N zones (and no zone has more than Q/2N nodes), every partition's N home replicas are in N zones", () => {
    let zoned = 0;
    fc.assert(
      fc.property(zonedRing, (r) => {
        fc.pre(r.ids.length <= r.partitions);
        const owners = claim(undefined, r.ids, r.partitions, r.n, r.zones);
        assert.equal(owners.length, r.partitions);
        if (!zonesSuffice(r, r.ids)) return;
        zoned++;
        assertHomeZonesDistinct(r, owners);
      }),
      { seed: SEED, numRuns: 300, includeErrorInReport: true },
    );
    // The precondition must not filter most cases away.
    assert.ok(zoned >= 100, `only ${zoned} zoned cases`);
  });

  test("balance stays within the documented limits", () => {
    fc.assert(
      fc.property(zonedRing, (r) => {
        fc.pre(r.ids.length <= r.partitions && zonesSuffice(r, r.ids));
        assertBalanced(r, r.ids, claim(undefined, r.ids, r.partitions, r.n, r.zones));
      }),
      { seed: SEED + 1, numRuns: 300, includeErrorInReport: true },
    );
  });

  test("one node joining keeps zones distinct and balance, and re-claiming the result changes nothing", () => {
    fc.assert(
      fc.property(zonedRing, fc.nat(), (r, pick) => {
        fc.pre(r.ids.length < r.partitions);
        const before = claim(undefined, r.ids, r.partitions, r.n, r.zones);
        const zones = new Map(r.zones);
        const zoneNames = [...new Set(r.zones.values())];
        if (zoneNames.length > 0) zones.set("new-node", zoneNames[pick % zoneNames.length] as string);
        const after = { ...r, zones };
        const ids = [...r.ids, "new-node"];
        const owners = claim(before, ids, r.partitions, r.n, zones);
        assert.ok(owners.includes("new-node"));
        if (zonesSuffice(after, ids)) {
          assertHomeZonesDistinct(after, owners);
          assertBalanced(after, ids, owners);
        }
        assert.deepEqual(claim(owners, ids, r.partitions, r.n, zones), owners);
      }),
      { seed: SEED + 2, numRuns: 200, includeErrorInReport: true },
    );
  });

  test("without zones, or with fewer than N zones, the claim is the claim without zones", () => {
    fc.assert(
      fc.property(zonedRing, (r) => {
        fc.pre(r.ids.length <= r.partitions);
        const spanned = nodesPerZone(r, r.ids).size;
        fc.pre(spanned < r.n || spanned === r.ids.length);
        assert.deepEqual(
          claim(undefined, r.ids, r.partitions, r.n, r.zones),
          claim(undefined, r.ids, r.partitions, r.n),
        );
      }),
      { seed: SEED + 4, numRuns: 150, includeErrorInReport: true },
    );
  });
});
