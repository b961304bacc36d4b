import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decideRing } from "../../../src/core/membership/claimant.js";
import type { ClusterState } from "../../../src/core/membership/cluster-state.js";
import { FailureDetector } from "../../../src/core/membership/failure-detector.js";
import { claim, gainingNodes } from "../../../src/core/ring/index.js";
import { member } from "./member-fixture.js";

const PARTITIONS = 16;
const N = 3;

const owners = claim(undefined, ["n1", "n2", "n3"], PARTITIONS, N);
const nobodyDead = (): boolean => false;

/** A ring of n1..n3 with n4 and n5 joining and planned into `next` at version 4. */
function pendingWithTwoJoiners(): ClusterState {
  return {
    members: [
      member("n1", "active"),
      member("n2", "active"),
      member("n3", "active"),
      member("n4", "joining"),
      member("n5", "joining"),
    ],
    ring: {
      version: 4,
      claimant: "n1",
      owners,
      next: claim(owners, ["n1", "n2", "n3", "n4", "n5"], PARTITIONS, N),
    },
  };
}

describe("decideRing with dead joiners", () => {
  test("a planned joiner down for the join timeout is planned out; the change then completes without it", () => {
    const state = pendingWithTwoJoiners();
    const up = (id: string): boolean => id !== "n5";
    // Down, but not yet for the join timeout: the change waits for it.
    assert.equal(decideRing(state, "n1", up, PARTITIONS, N, nobodyDead), undefined);

    const dead = (id: string): boolean => id === "n5";
    const replanned = decideRing(state, "n1", up, PARTITIONS, N, dead);
    assert.ok(replanned !== undefined);
    assert.equal(replanned.ring.version, 5);
    assert.deepEqual(replanned.ring.owners, owners, "ownership itself does not change yet");
    const next = replanned.ring.next;
    assert.ok(next !== null);
    assert.deepEqual(new Set(next), new Set(["n1", "n2", "n3", "n4"]));
    assert.deepEqual(replanned.memberUpdates, [], "n5 stays joining");

    // The gaining nodes of the new plan report; the change completes with n5 still joining.
    const gainers = gainingNodes(owners, next, N);
    assert.ok(!gainers.has("n5"));
    const ready = state.members.map((m) =>
      gainers.has(m.id) ? { ...m, transfer: { ...m.transfer, version: 5 } } : m,
    );
    const done = decideRing({ members: ready, ring: replanned.ring }, "n1", up, PARTITIONS, N, dead);
    assert.ok(done !== undefined);
    assert.equal(done.ring.next, null);
    assert.deepEqual(done.ring.owners, next);
    assert.deepEqual(
      done.memberUpdates.map((m) => [m.id, m.state]),
      [["n4", "active"]],
    );
    assert.ok(!done.ring.owners.includes("n5"));
  });

  test("a dead joiner that was never planned in is not planned in", () => {
    const state: ClusterState = {
      members: [
        member("n1", "active"),
        member("n2", "active"),
        member("n3", "active"),
        member("n4", "joining"),
      ],
      ring: { version: 3, claimant: "n1", owners, next: null },
    };
    const up = (id: string): boolean => id !== "n4";
    assert.equal(
      decideRing(state, "n1", up, PARTITIONS, N, (id) => id === "n4"),
      undefined,
    );
  });

  test("a dropped joiner that is up again is planned in afresh", () => {
    const settled: ClusterState = {
      members: [
        member("n1", "active"),
        member("n2", "active"),
        member("n3", "active"),
        member("n4", "joining"),
      ],
      ring: { version: 6, claimant: "n1", owners, next: null },
    };
    const allUp = (): boolean => true;
    const decision = decideRing(settled, "n1", allUp, PARTITIONS, N, nobodyDead);
    assert.ok(decision !== undefined);
    assert.equal(decision.ring.version, 7);
    assert.ok(decision.ring.next?.includes("n4"));
  });

  test("an active member down for the join timeout keeps its partitions (outages do not move data)", () => {
    const state: ClusterState = {
      members: [member("n1", "active"), member("n2", "active"), member("n3", "active")],
      ring: { version: 3, claimant: "n1", owners, next: null },
    };
    const up = (id: string): boolean => id !== "n3";
    assert.equal(
      decideRing(state, "n1", up, PARTITIONS, N, (id) => id === "n3"),
      undefined,
    );
  });
});

describe("FailureDetector.downForMs", () => {
  test("counts from the last heartbeat progress once down, 0 while up or suspect or never seen", () => {
    const fd = new FailureDetector({ suspectAfterMs: 100, downAfterMs: 200, localPauseMs: 10_000 });
    assert.equal(fd.downForMs("x", 0), 0);
    fd.observe("x", { generation: 1, heartbeat: 1 }, 1000);
    assert.equal(fd.downForMs("x", 1050), 0);
    assert.equal(fd.downForMs("x", 1150), 0, "suspect is not down");
    assert.equal(fd.downForMs("x", 1200), 200);
    assert.equal(fd.downForMs("x", 6000), 5000);
    fd.observe("x", { generation: 1, heartbeat: 2 }, 6000);
    assert.equal(fd.downForMs("x", 6001), 0, "heard from again");
  });
});
