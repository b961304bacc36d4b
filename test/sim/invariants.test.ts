import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  emptyDvvSet,
  encodeContext,
  join,
  update,
  type VersionVector,
} from "../../src/core/causality/index.js";
import { type Sibling, type StoredObject, tombstone } from "../../src/core/stored-object.js";
import { History, type Op, type Outcome, Trace } from "./history.js";
import { checkHistory } from "./invariants.js";
import { bytes } from "./workload.js";

/** A hand-written history on a hand-moved clock. */
class Script {
  nowMs = 0;
  readonly history = new History(new Trace(() => this.nowMs, undefined), () => this.nowMs);

  put(value: string, outcome: Outcome, read?: Op, ttlS?: number): Op {
    const op = this.history.invoke({
      client: 0,
      kind: "put",
      key: "k",
      node: "n1",
      value,
      contextFrom: read?.id ?? null,
      ...(ttlS === undefined ? {} : { ttlS }),
    });
    this.nowMs += 10;
    this.history.complete(op, outcome);
    return op;
  }

  delete(outcome: Outcome, read?: Op): Op {
    const op = this.history.invoke({
      client: 0,
      kind: "delete",
      key: "k",
      node: "n1",
      value: undefined,
      contextFrom: read?.id ?? null,
    });
    this.nowMs += 10;
    this.history.complete(op, outcome);
    return op;
  }

  get(object: StoredObject | undefined): Op {
    const op = this.history.invoke({
      client: 0,
      kind: "get",
      key: "k",
      node: "n1",
      value: undefined,
      contextFrom: null,
    });
    this.nowMs += 10;
    const values =
      object === undefined
        ? []
        : object.entries.flatMap((e) =>
            e.values.filter((s) => !s.deleted).map((s) => Buffer.from(s.value).toString()),
          );
    this.history.complete(op, "ok", {
      values,
      context: object === undefined ? undefined : encodeContext(join(object)),
    });
    return op;
  }
}

function sibling(value: string): Sibling {
  return { value: bytes(value), contentType: "text/plain", deleted: false, writtenAtMs: 0 };
}

function write(
  object: StoredObject,
  value: string | null,
  context: VersionVector = [],
  actor = "a",
): StoredObject {
  return update(object, context, actor, value === null ? tombstone(0) : sibling(value));
}

const check = (script: Script, final: StoredObject | undefined, nowMs = 0): string[] =>
  checkHistory(script.history, new Map([["k", final]]), nowMs);

function expiring(value: string, expiresAtMs: number): Sibling {
  return { ...sibling(value), expiresAtMs };
}

describe("checkHistory with expiry", () => {
  test("an expired put missing from what a client sees is not a lost write; a copy with its deadline is fine", () => {
    const s = new Script();
    s.put("v1", "ok", undefined, 1); // invoked at 0, acknowledged at 10: deadline in [1000, 1010]
    const final = update<Sibling>(emptyDvvSet(), [], "a", expiring("v1", 1005));
    assert.deepEqual(check(s, final, 5000), []);
    assert.deepEqual(check(s, undefined, 5000), [], "reaped after expiry: not lost either");
  });

  test("before its deadline an expiring put still counts as acknowledged", () => {
    const s = new Script();
    s.put("v1", "ok", undefined, 10);
    assert.match(check(s, undefined, 5000)[0] ?? "", /^lost write: op#0/);
  });

  test("a read invoked after the latest deadline that returns the value is a violation", () => {
    const s = new Script();
    s.put("v1", "ok", undefined, 1);
    const final = update<Sibling>(emptyDvvSet(), [], "a", expiring("v1", 1005));
    s.nowMs = 1009;
    s.get(final);
    assert.deepEqual(check(s, final, 5000), [], "invoked before the latest deadline");
    s.nowMs = 1010;
    s.get(final);
    const violations = check(s, final, 5000);
    assert.equal(violations.length, 1);
    assert.match(violations[0] ?? "", /^expired value read: op#2 .* returned v1/);
  });

  test("a copy that lost its deadline, or carries another, is a violation", () => {
    const s = new Script();
    s.put("v1", "ok", undefined, 1);
    const lost = update<Sibling>(emptyDvvSet(), [], "a", sibling("v1"));
    assert.match(check(s, lost, 500)[0] ?? "", /^expiry lost: k holds v1 .* deadline none/);
    const moved = update<Sibling>(emptyDvvSet(), [], "a", expiring("v1", 2000));
    assert.match(check(s, moved, 500)[0] ?? "", /^expiry lost: .* deadline 2000, outside \[1000, 1010\]/);
  });
});

describe("checkHistory", () => {
  test("an acknowledged write in the final state is fine", () => {
    const s = new Script();
    s.put("v1", "ok");
    assert.deepEqual(check(s, write(emptyDvvSet(), "v1")), []);
  });

  test("an acknowledged write missing from the final state, superseded by nothing, is a lost write", () => {
    const s = new Script();
    s.put("v1", "ok");
    s.put("v2", "ok");
    const violations = check(s, write(emptyDvvSet(), "v2"));
    assert.equal(violations.length, 1);
    assert.match(violations[0] ?? "", /^lost write: op#0 put k=v1/);
  });

  test("a write carrying the context of a read that saw the value supersedes it, even if its outcome is unknown", () => {
    const s = new Script();
    s.put("v1", "ok");
    const v1 = write(emptyDvvSet(), "v1");
    const read = s.get(v1);
    s.put("v2", "unknown", read);
    assert.deepEqual(check(s, write(v1, "v2", join(v1))), []);
  });

  test("a refused write supersedes nothing", () => {
    const s = new Script();
    s.put("v1", "ok");
    const read = s.get(write(emptyDvvSet(), "v1"));
    s.put("v2", "fail", read);
    assert.match(check(s, undefined)[0] ?? "", /^lost write: op#0/);
  });

  test("a delete without context supersedes what was written before it finished, not after", () => {
    const s = new Script();
    s.put("v1", "ok");
    s.delete("ok");
    s.put("v2", "ok");
    const violations = check(s, undefined);
    assert.equal(violations.length, 1);
    assert.match(violations[0] ?? "", /^lost write: op#2 put k=v2/);
  });

  test("a version covered by an acknowledged delete's context that is back in the final state is a resurrection", () => {
    const s = new Script();
    s.put("v1", "ok");
    const v1 = write(emptyDvvSet(), "v1");
    const read = s.get(v1);
    s.delete("ok", read);
    // As if the tombstone had been lost and the old copy had come back.
    const violations = check(s, v1);
    assert.equal(violations.length, 1);
    assert.match(violations[0] ?? "", /^resurrection: k holds v1 \(dot a:1\)/);
    // The honest outcome: the tombstone superseded it.
    assert.deepEqual(check(s, write(v1, null, join(v1))), []);
  });

  test("a value concurrent with a delete (not in the delete's read) survives it legitimately", () => {
    const s = new Script();
    s.put("v1", "ok");
    const v1 = write(emptyDvvSet(), "v1");
    const read = s.get(v1);
    s.put("v2", "ok");
    s.delete("ok", read);
    // v2 was written by another actor concurrently: a sibling of the tombstone.
    const final = write(write(v1, null, join(v1)), "v2", [], "b");
    assert.deepEqual(check(s, final), []);
  });

  test("a value no client wrote, or one a refused write carried, is a phantom", () => {
    const s = new Script();
    s.put("v1", "fail");
    s.get(write(emptyDvvSet(), "ghost"));
    const violations = check(s, write(emptyDvvSet(), "v1"));
    assert.equal(violations.length, 2);
    assert.match(violations[0] ?? "", /read op#1 of k holds ghost, which no client wrote/);
    assert.match(violations[1] ?? "", /the final state of k holds v1, written by op#0 which was refused/);
  });
});
