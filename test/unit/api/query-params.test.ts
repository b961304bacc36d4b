import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseRequestOptions } from "../../../src/api/query-params.js";
import { defaultNodeOptions } from "../../../src/config/node-options.js";
import { BadRequestError } from "../../../src/errors.js";

const settings = { n: 3, r: 2, w: 2, partitions: 64, conflictMode: "causal" as const };
const limits = defaultNodeOptions({ id: "n1", dataDir: "/d" }).limits;

describe("request options with a namespace's properties", () => {
  test("with neither, the cluster's r and w and no expiry", () => {
    const o = parseRequestOptions("", settings, limits);
    assert.equal(o.r, 2);
    assert.equal(o.w, 2);
    assert.equal(o.ttlS, undefined);
  });

  test("the namespace's r, w and ttlSeconds fill what the request leaves out", () => {
    const o = parseRequestOptions("", settings, limits, { r: 1, w: 3, ttlSeconds: 60 });
    assert.deepEqual([o.r, o.w, o.ttlS], [1, 3, 60]);
  });

  test("the request's own r, w and ttl_s win", () => {
    const o = parseRequestOptions("r=3&w=one&ttl_s=5", settings, limits, { r: 1, w: 3, ttlSeconds: 60 });
    assert.deepEqual([o.r, o.w, o.ttlS], [3, 1, 5]);
  });

  test("quorum names and bounds use the namespace's n", () => {
    assert.equal(parseRequestOptions("r=all", settings, limits, { n: 3 }).r, 3);
    assert.throws(() => parseRequestOptions("w=4", settings, limits, { n: 3 }), BadRequestError);
  });

  test("a strict count still raises the plain one", () => {
    const o = parseRequestOptions("pr=3", settings, limits, { r: 1 });
    assert.equal(o.r, 3);
  });
});
