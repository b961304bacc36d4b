import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decideRing } from "../../../src/core/membership/claimant.js";
import type { ClusterState } from "../../../src/core/membership/cluster-state.js";
import { claim, gainingNodes } from "../../../src/core/ring/index.js";
import { member } from "./member-fixture.js";

const PARTITIONS = 16;
const N = 3;

const owners = claim(undefined, ["n1", "n2", "n3", "n4"], PARTITIONS, N);
const next = claim(owners, ["n1", "n2", "n3"], PARTITIONS, N);
const VERSION = 6;

/** n4 leaves a ring of four; its partitions go to n1..n3, which all gain; everyone but `waiting` reported. */
function leavingPending(waiting: string): ClusterState {
  const gainers = gainingNodes(owners, next, N);
  const report = (id: string): number => (gainers.has(id) && id !== waiting ? VERSION : 0);
  return {
    members: [
      member("n1", "active", report("n1")),
      member("n2", "active", report("n2")),
      member("n3", "active", report("n3")),
      member("n4", "leaving"),
    ],
    ring: { version: VERSION, claimant: "n1", owners, next },
  };
}

describe("decideRing with a dead active member planned to gain partitions", () => {
  test("the plan under test makes n3 gain (the premise of the cases below)", () => {
    assert.ok(gainingNodes(owners, next, N).has("n3"));
  });

  test("a gainer that is down, but not for the join timeout, is waited for", () => {
    const state = leavingPending("n3");
    const up = (id: string): boolean => id !== "n3";
    assert.equal(
      decideRing(state, "n1", up, PARTITIONS, N, () => false),
      undefined,
    );
  });

  test("a gainer that is up but has not reported is waited for, whatever isDead says of others", () => {
    const state = leavingPending("n3");
    assert.equal(
      decideRing(
        state,
        "n1",
        () => true,
        PARTITIONS,
        N,
        (id) => id === "n2",
      ),
      undefined,
    );
  });

  test("a gainer down for the join timeout is not waited for: the change completes and names it", () => {
    const state = leavingPending("n3");
    const up = (id: string): boolean => id !== "n3";
    const done = decideRing(state, "n1", up, PARTITIONS, N, (id) => id === "n3");
    assert.ok(done !== undefined);
    assert.equal(done.ring.version, VERSION + 1);
    assert.equal(done.ring.next, null);
    assert.deepEqual(done.ring.owners, next, "n3 owns what it was planned to gain");
    assert.deepEqual(done.completedWithout, ["n3"]);
    assert.deepEqual(
      done.memberUpdates.map((m) => `${m.id}:${m.state}`),
      ["n4:left"],
      "the leaving member is marked left",
    );
  });

  test("a completed change that waited for every gainer names nobody", () => {
    const state = leavingPending("none");
    const done = decideRing(
      state,
      "n1",
      () => true,
      PARTITIONS,
      N,
      () => false,
    );
    assert.ok(done !== undefined);
    assert.equal(done.completedWithout, undefined);
  });

  test("a dead joiner is never completed without: it is planned out instead", () => {
    const state: ClusterState = {
      members: [
        member("n1", "active"),
        member("n2", "active"),
        member("n3", "active"),
        member("n4", "joining"),
      ],
      ring: {
        version: VERSION,
        claimant: "n1",
        owners: next,
        next: claim(next, ["n1", "n2", "n3", "n4"], PARTITIONS, N),
      },
    };
    const up = (id: string): boolean => id !== "n4";
    const decision = decideRing(state, "n1", up, PARTITIONS, N, (id) => id === "n4");
    assert.ok(decision !== undefined);
    assert.equal(decision.completedWithout, undefined);
    assert.equal(decision.ring.next, null, "re-planned without n4: nothing moves");
    assert.deepEqual(decision.ring.owners, next);
  });
});
