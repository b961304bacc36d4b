import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { errorReply } from "../../../src/api/error-response.js";
import { MetadataFullError } from "../../../src/cluster/metadata/index.js";
import {
  effectiveOptions,
  mergeProperties,
  parsePropertyChange,
  propertiesOf,
} from "../../../src/core/namespace/index.js";

const CLUSTER = { n: 3, r: 2, w: 2, siblingsMax: 100 };

describe("effective options", () => {
  test("with nothing set, a request runs with the cluster's values and no expiry", () => {
    assert.deepEqual(effectiveOptions({}, {}, CLUSTER), { n: 3, r: 2, w: 2, siblingsMax: 100 });
  });

  test("the namespace's properties replace the cluster's", () => {
    assert.deepEqual(effectiveOptions({}, { r: 1, w: 3, ttlSeconds: 60, maxSiblings: 5 }, CLUSTER), {
      n: 3,
      r: 1,
      w: 3,
      ttlS: 60,
      siblingsMax: 5,
    });
  });

  test("request values win over the namespace's and the cluster's", () => {
    fc.assert(
      fc.property(
        fc.record(
          { r: fc.integer({ min: 1, max: 3 }), w: fc.integer({ min: 1, max: 3 }), ttlS: fc.nat() },
          { requiredKeys: [] },
        ),
        fc.record(
          { r: fc.integer({ min: 1, max: 3 }), w: fc.integer({ min: 1, max: 3 }), ttlSeconds: fc.nat() },
          { requiredKeys: [] },
        ),
        (request, properties) => {
          const out = effectiveOptions(request, properties, CLUSTER);
          assert.equal(out.r, request.r ?? properties.r ?? CLUSTER.r);
          assert.equal(out.w, request.w ?? properties.w ?? CLUSTER.w);
          assert.equal(out.ttlS, request.ttlS ?? properties.ttlSeconds);
        },
      ),
    );
  });
});

describe("property changes", () => {
  test("accepts integers in range for known fields", () => {
    assert.deepEqual(parsePropertyChange({ r: 1, ttlSeconds: 30 }), {
      ok: true,
      properties: { r: 1, ttlSeconds: 30 },
    });
    assert.deepEqual(parsePropertyChange({}), { ok: true, properties: {} });
  });

  test("refuses a body that is not an object, unknown fields, and values out of range", () => {
    for (const bad of [
      null,
      [],
      "x",
      3,
      { q: 1 },
      { r: 0 },
      { r: 1.5 },
      { r: "2" },
      { ttlSeconds: -1 },
      { maxSiblings: 0 },
    ]) {
      const parsed = parsePropertyChange(bad);
      assert.equal(parsed.ok, false, JSON.stringify(bad));
    }
    const unknown = parsePropertyChange({ colour: 1 });
    assert.ok(!unknown.ok && unknown.problem.includes("colour"));
  });

  test("a change merges over the stored properties", () => {
    assert.deepEqual(mergeProperties({ r: 1, ttlSeconds: 5 }, { ttlSeconds: 9 }, 3), {
      ok: true,
      properties: { r: 1, ttlSeconds: 9 },
    });
  });

  test("r and w may not exceed the namespace's n, or the cluster's when it sets none", () => {
    assert.equal(mergeProperties({}, { r: 4 }, 3).ok, false);
    assert.equal(mergeProperties({ n: 2 }, { w: 3 }, 3).ok, false);
    assert.equal(mergeProperties({ w: 3 }, { n: 2 }, 3).ok, false);
    assert.equal(mergeProperties({}, { n: 3, r: 3, w: 3 }, 3).ok, true);
  });

  test("stored properties read back, ignoring fields that are not valid properties", () => {
    assert.deepEqual(propertiesOf({ r: 2, w: "x", other: 1, ttlSeconds: 0 }), { r: 2 });
    assert.deepEqual(propertiesOf(undefined), {});
  });
});

describe("a full cluster metadata store", () => {
  test("is a 507 metadata_full answer, not a 500", () => {
    const reply = errorReply(new MetadataFullError("the cluster metadata holds 4096 entries, its limit"));
    assert.equal(reply?.status, 507);
    assert.match(String(reply?.body), /metadata_full/);
  });
});

test("a namespace n below the cluster's r and w caps their defaults; its own and a request's win", () => {
  const cluster = { n: 3, r: 2, w: 2, siblingsMax: 100 };
  assert.deepEqual(
    { ...effectiveOptions({}, { n: 1 }, cluster) },
    { n: 1, r: 1, w: 1, siblingsMax: 100 },
    "an n=1 namespace reads and writes at 1",
  );
  assert.deepEqual({ ...effectiveOptions({}, { n: 5 }, cluster) }, { n: 5, r: 2, w: 2, siblingsMax: 100 });
  assert.equal(effectiveOptions({}, { n: 5, w: 4 }, cluster).w, 4);
  assert.equal(effectiveOptions({ r: 5 }, { n: 5 }, cluster).r, 5);
});
