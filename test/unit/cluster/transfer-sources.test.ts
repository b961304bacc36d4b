import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { chooseSources, type SourceFacts } from "../../../src/cluster/transfer-sources.js";
import type { MemberRecord, MembershipState } from "../../../src/core/membership/cluster-state.js";
import type { LivenessStatus } from "../../../src/core/membership/failure-detector.js";

const JOIN_TIMEOUT_MS = 60_000;

function facts(down: Record<string, number>, states: Record<string, MembershipState> = {}): SourceFacts {
  return {
    selfId: "n4",
    member: (id) => ({ id, state: states[id] ?? "active" }) as MemberRecord,
    status: (id): LivenessStatus => (down[id] === undefined ? "up" : "down"),
    downForMs: (id) => down[id] ?? 0,
    joinTimeoutMs: JOIN_TIMEOUT_MS,
  };
}

describe("chooseSources", () => {
  const home = ["n1", "n2", "n3"];
  const staying = ["n1", "n2", "n4"]; // n3 loses the partition to n4

  test("every home replica up: all are sources, the losing one must be read", () => {
    const c = chooseSources(home, staying, facts({}));
    assert.deepEqual(c.sources, ["n1", "n2", "n3"]);
    assert.deepEqual(c.losing, ["n3"]);
    assert.deepEqual(c.readAround, []);
    assert.equal(c.ready, true);
  });

  test("a losing replica down for less than the join timeout is waited for", () => {
    const c = chooseSources(home, staying, facts({ n3: JOIN_TIMEOUT_MS - 1 }));
    assert.deepEqual(c.sources, ["n1", "n2"]);
    assert.deepEqual(c.readAround, []);
    assert.equal(c.ready, false);
  });

  test("a losing replica down for the join timeout is read around", () => {
    const c = chooseSources(home, staying, facts({ n3: JOIN_TIMEOUT_MS }));
    assert.deepEqual(c.sources, ["n1", "n2"]);
    assert.deepEqual(c.losing, []);
    assert.deepEqual(c.readAround, ["n3"]);
    assert.equal(c.ready, true);
  });

  test("a staying replica that is down is simply not a source; nothing waits for it", () => {
    const c = chooseSources(home, staying, facts({ n1: 5 }));
    assert.deepEqual(c.sources, ["n2", "n3"]);
    assert.deepEqual(c.readAround, []);
    assert.equal(c.ready, true);
  });

  test("a left member is given up on at once", () => {
    const c = chooseSources(home, staying, facts({ n3: 5 }, { n3: "left" }));
    assert.deepEqual(c.losing, []);
    assert.equal(c.ready, true);
  });

  test("with every other home replica dead there is nobody to read: it waits", () => {
    const c = chooseSources(home, ["n4", "n5", "n6"], facts({ n1: 1e9, n2: 1e9, n3: 1e9 }));
    assert.deepEqual(c.sources, []);
    assert.deepEqual(c.readAround, ["n1", "n2", "n3"]);
    assert.equal(c.ready, false);
  });
});
