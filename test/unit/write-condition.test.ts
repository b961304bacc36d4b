import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  decodeContext,
  emptyDvvSet,
  encodeContext,
  join,
  update,
  type VersionVector,
} from "../../src/core/causality/index.js";
import { type Sibling, type StoredObject, tombstone } from "../../src/core/stored-object.js";
import { checkCondition, hasLiveValue, sameContext } from "../../src/core/write-condition.js";
import { testSeed } from "../support/test-seed.js";

const NOW_MS = 1_700_000_000_000;
const value = (text: string): Sibling => ({
  value: Buffer.from(text),
  contentType: "text/plain",
  deleted: false,
  writtenAtMs: NOW_MS,
});

/** A stored object built by a random sequence of writes and deletes through random coordinators. */
const history: fc.Arbitrary<StoredObject> = fc
  .array(
    fc.record({
      actor: fc.constantFrom("n1", "n2", "n3"),
      deleted: fc.boolean(),
      // Whether the write saw everything so far (a read first) or nothing (a blind write).
      withContext: fc.boolean(),
    }),
    { maxLength: 8 },
  )
  .map((steps) => {
    let object: StoredObject = emptyDvvSet();
    steps.forEach((s, i) => {
      const sibling = s.deleted ? tombstone(NOW_MS) : value(`v${i}`);
      object = update(object, s.withContext ? join(object) : [], s.actor, sibling);
    });
    return object;
  });

describe("the conditional-write decision", () => {
  test("If-None-Match proceeds exactly when no live value is found, with the context found", () => {
    fc.assert(
      fc.property(fc.option(history, { nil: undefined }), (current) => {
        const verdict = checkCondition({ kind: "none-live" }, current, NOW_MS);
        const live = current?.entries.some((e) => e.values.some((v) => !v.deleted)) === true;
        assert.equal(verdict.proceed, !live);
        if (verdict.proceed) assert.deepEqual(verdict.context, current === undefined ? [] : join(current));
      }),
      { seed: testSeed() },
    );
  });

  test("If-None-Match on a key holding only tombstones proceeds and supersedes them", () => {
    const written = update(emptyDvvSet<Sibling>(), [], "n1", value("old"));
    const deleted = update(written, join(written), "n2", tombstone(NOW_MS));
    const verdict = checkCondition({ kind: "none-live" }, deleted, NOW_MS);
    assert.deepEqual(verdict, { proceed: true, context: [["n1", 1] as const, ["n2", 1] as const] });
    if (!verdict.proceed) return;
    const created = update(deleted, verdict.context, "n1", value("new"));
    assert.deepEqual(
      created.entries.flatMap((e) => e.values.map((v) => Buffer.from(v.value).toString())),
      ["new"],
      "the tombstone the check saw is superseded, not kept as a sibling",
    );
  });

  test("If-None-Match on a key with a live sibling next to a tombstone is refused", () => {
    const a = update(emptyDvvSet<Sibling>(), [], "n1", value("kept"));
    const both = update(a, [], "n2", tombstone(NOW_MS));
    assert.equal(hasLiveValue(both, NOW_MS), true);
    assert.equal(checkCondition({ kind: "none-live" }, both, NOW_MS).proceed, false);
  });

  test("If-Match proceeds exactly when the key's current context is the one given", () => {
    fc.assert(
      fc.property(history, history, (current, other) => {
        const mine = checkCondition({ kind: "context-matches", context: join(current) }, current, NOW_MS);
        assert.deepEqual(mine, { proceed: true, context: join(current) });
        const theirs = checkCondition({ kind: "context-matches", context: join(other) }, current, NOW_MS);
        assert.equal(theirs.proceed, sameContext(join(other), join(current)));
      }),
      { seed: testSeed() },
    );
  });

  test("If-Match with a stale context (the key was written since) is refused", () => {
    const first = update(emptyDvvSet<Sibling>(), [], "n1", value("v1"));
    const stale = join(first);
    const second = update(first, stale, "n2", value("v2"));
    const verdict = checkCondition({ kind: "context-matches", context: stale }, second, NOW_MS);
    assert.equal(verdict.proceed, false);
    if (!verdict.proceed) assert.match(verdict.reason, /other than the key's current one/);
  });

  test("If-Match on a key that holds nothing is refused for any non-empty context", () => {
    const verdict = checkCondition({ kind: "context-matches", context: [["n1", 3]] }, undefined, NOW_MS);
    assert.equal(verdict.proceed, false);
    if (!verdict.proceed) assert.match(verdict.reason, /holds nothing/);
  });

  test("contexts compare by their pairs, not by how a header spelled them", () => {
    fc.assert(
      fc.property(history, (current) => {
        // A counter spelled as a wider MessagePack integer than the encoder picks.
        const vv = join(current);
        const spelled = decodeContext(encodeContext(vv));
        assert.equal(sameContext(spelled, vv), true);
      }),
      { seed: testSeed() },
    );
    const wide = Buffer.concat([
      Buffer.from([0x01, 0x92, 0xa2]),
      Buffer.from("n1"),
      Buffer.from([0xcd, 0, 5]),
    ]);
    const narrow: VersionVector = [["n1", 5]];
    assert.notEqual(wide.toString("base64url"), encodeContext(narrow));
    assert.equal(sameContext(decodeContext(wide.toString("base64url")), narrow), true);
    assert.equal(sameContext([["n1", 5]], [["n1", 6]]), false);
    assert.equal(
      sameContext(
        [["n1", 5]],
        [
          ["n1", 5],
          ["n2", 1],
        ],
      ),
      false,
    );
  });
});
