import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decideRing } from "../../../src/core/membership/claimant.js";
import type { ClusterState } from "../../../src/core/membership/cluster-state.js";
import { claim } from "../../../src/core/ring/index.js";
import { member } from "./member-fixture.js";

const PARTITIONS = 16;
const N = 3;

const up = (): boolean => true;
const owners = claim(undefined, ["n1", "n2", "n3"], PARTITIONS, N);

describe("decideRing", () => {
  test("a member that leaves before it was planned into the ring is marked left at once (sim seed 31)", () => {
    // n4 joined and asked to leave before the claimant ever planned it in: nothing will change
    // the ring again, so without this it would stay "leaving" forever and never depart.
    const state: ClusterState = {
      members: [
        member("n1", "active"),
        member("n2", "active"),
        member("n3", "active"),
        member("n4", "leaving"),
      ],
      ring: { version: 3, claimant: "n1", owners, next: null },
    };
    const decision = decideRing(state, "n1", up, PARTITIONS, N);
    assert.ok(decision !== undefined);
    assert.equal(decision.ring, state.ring, "the ring itself does not change");
    assert.deepEqual(
      decision.memberUpdates.map((m) => [m.id, m.state, m.stateVersion]),
      [["n4", "left", 3]],
    );
  });

  test("a settled ring with only active members needs no decision", () => {
    const state: ClusterState = {
      members: [member("n1", "active"), member("n2", "active"), member("n3", "active")],
      ring: { version: 3, claimant: "n1", owners, next: null },
    };
    assert.equal(decideRing(state, "n1", up, PARTITIONS, N), undefined);
  });

  test("a leaving owner is planned out and marked left only once the new owners hold its partitions", () => {
    const four = claim(owners, ["n1", "n2", "n3", "n4"], PARTITIONS, N);
    const members = [
      member("n1", "active"),
      member("n2", "active"),
      member("n3", "active"),
      member("n4", "leaving"),
    ];
    const planned = decideRing(
      { members, ring: { version: 4, claimant: "n1", owners: four, next: null } },
      "n1",
      up,
      PARTITIONS,
      N,
    );
    assert.ok(planned?.ring.next !== null && planned?.ring.next !== undefined);
    assert.ok(!planned.ring.next.includes("n4"));
    assert.deepEqual(planned.memberUpdates, [], "n4 still owns partitions: it is not left yet");
    const ready = members.map((m) => (m.id === "n4" ? m : { ...m, transfer: { ...m.transfer, version: 5 } }));
    const done = decideRing({ members: ready, ring: planned.ring }, "n1", up, PARTITIONS, N);
    assert.deepEqual(
      done?.memberUpdates.map((m) => [m.id, m.state]),
      [["n4", "left"]],
    );
    assert.equal(done?.ring.next, null);
  });
});
