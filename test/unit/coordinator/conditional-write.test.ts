import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type ConditionalTarget, deleteIf, putIf } from "../../../src/coordinator/conditional-write.js";
import type { RequestOptions } from "../../../src/coordinator/request-options.js";
import { emptyDvvSet, join, update, type VersionVector } from "../../../src/core/causality/index.js";
import { type Sibling, type StoredObject, tombstone } from "../../../src/core/stored-object.js";
import { ConditionFailedError, QuorumError } from "../../../src/errors.js";

const OPTIONS: RequestOptions = { r: 2, w: 2, pr: 0, pw: 0, timeoutMs: 1000 };
const sibling = (text: string): Sibling => ({
  value: Buffer.from(text),
  contentType: "text/plain",
  deleted: false,
  writtenAtMs: 1,
});

interface Call {
  op: "get" | "put" | "delete";
  context?: VersionVector | undefined;
  options: RequestOptions;
}

/** A coordinator that answers reads with `current` (or fails them) and records every call. */
function fakeCoordinator(read: () => Promise<StoredObject | undefined>): {
  target: ConditionalTarget;
  calls: Call[];
} {
  const calls: Call[] = [];
  const target: ConditionalTarget = {
    get: async (_key, options) => {
      calls.push({ op: "get", options });
      return read();
    },
    put: async (_key, s, context, options) => {
      calls.push({ op: "put", context, options });
      return update(emptyDvvSet<Sibling>(), context, "n1", s);
    },
    delete: async (_key, context, options) => {
      calls.push({ op: "delete", context, options });
      return undefined;
    },
  };
  return { target, calls };
}

const key = Buffer.from("k");

describe("conditional writes through the coordinator", () => {
  test("a create-only put reads at the request's r, then writes with the context the read found", async () => {
    const gone = update(emptyDvvSet<Sibling>(), [], "n2", tombstone(1));
    const { target, calls } = fakeCoordinator(async () => gone);
    await putIf(target, key, sibling("v"), { kind: "none-live" }, OPTIONS, () => 0);
    assert.deepEqual(
      calls.map((c) => c.op),
      ["get", "put"],
    );
    assert.equal(calls[0]?.options.r, 2);
    assert.deepEqual(calls[1]?.context, join(gone));
    assert.deepEqual(calls[1]?.options, OPTIONS);
  });

  test("a create-only put on a live key is a ConditionFailedError and writes nothing", async () => {
    const live = update(emptyDvvSet<Sibling>(), [], "n1", sibling("there"));
    const { target, calls } = fakeCoordinator(async () => live);
    await assert.rejects(
      putIf(target, key, sibling("v"), { kind: "none-live" }, OPTIONS, () => 0),
      (e: unknown) => e instanceof ConditionFailedError && e.code === "precondition_failed",
    );
    assert.deepEqual(
      calls.map((c) => c.op),
      ["get"],
    );
  });

  test("a check that misses its read quorum fails as the read does, and writes nothing", async () => {
    const { target, calls } = fakeCoordinator(async () => {
      throw new QuorumError(2, 1, "read");
    });
    await assert.rejects(
      putIf(target, key, sibling("v"), { kind: "none-live" }, OPTIONS, () => 0),
      QuorumError,
    );
    await assert.rejects(
      deleteIf(target, key, { kind: "context-matches", context: [["n1", 1]] }, OPTIONS, () => 0),
      QuorumError,
    );
    assert.deepEqual(
      calls.map((c) => c.op),
      ["get", "get"],
    );
  });

  test("a delete with the current context deletes exactly that context; a stale one deletes nothing", async () => {
    const v1 = update(emptyDvvSet<Sibling>(), [], "n1", sibling("v1"));
    const v2 = update(v1, join(v1), "n1", sibling("v2"));
    const { target, calls } = fakeCoordinator(async () => v2);
    await assert.rejects(
      deleteIf(target, key, { kind: "context-matches", context: join(v1) }, OPTIONS, () => 0),
      ConditionFailedError,
    );
    await deleteIf(target, key, { kind: "context-matches", context: join(v2) }, OPTIONS, () => 0);
    assert.deepEqual(
      calls.map((c) => c.op),
      ["get", "get", "delete"],
    );
    assert.deepEqual(calls[2]?.context, join(v2));
  });
});
