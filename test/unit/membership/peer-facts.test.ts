import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { optionDefaults } from "../../../src/config/node-options.js";
import { decideRing } from "../../../src/core/membership/claimant.js";
import {
  type ClusterState,
  findMember,
  type MemberRecord,
  type MembershipState,
  mergeClusterStates,
  NO_LOAD,
  NO_TRANSFER,
  type RingState,
} from "../../../src/core/membership/cluster-state.js";
import { answerDigest, applyPush, digestOf, trustAll } from "../../../src/core/membership/gossip-digest.js";
import {
  FactScreen,
  OWN_HEARTBEAT_REORDER_MAX,
  type PeerFactBounds,
  type PeerFactContext,
} from "../../../src/core/membership/peer-facts.js";

const BOUNDS: PeerFactBounds = optionDefaults.gossip.peerFacts;
const NOW = 100_000;

function member(id: string, over: Partial<MemberRecord> = {}): MemberRecord {
  return {
    id,
    listen: `127.0.0.1:${7000 + id.charCodeAt(1)}`,
    http: `127.0.0.1:${8000 + id.charCodeAt(1)}`,
    state: "active",
    stateVersion: 2,
    generation: 3,
    heartbeat: 1000,
    load: NO_LOAD,
    transfer: NO_TRANSFER,
    ringVersion: 5,
    infoVersion: 4,
    ...over,
  };
}

const RING: RingState = { version: 5, claimant: "n1", owners: ["n1", "n2", "n3", "n1"], next: null };

function cluster(...members: MemberRecord[]): ClusterState {
  return { members: [...members].sort((a, b) => (a.id < b.id ? -1 : 1)), ring: RING };
}

/** Our view (we are n1), facts from `sender`; `down` members are down for us; heartbeats last advanced 1 s ago. */
function context(sender: string | undefined, down: readonly string[] = []): PeerFactContext {
  return {
    selfId: "n1",
    senderId: sender,
    nowMs: NOW,
    isDown: (id) => down.includes(id),
    advancedAtMs: () => NOW - 1000,
    bounds: BOUNDS,
  };
}

/** Our state after merging `records` (and `ring`) from `sender`, and what the screen refused. */
function receive(
  mine: ClusterState,
  sender: string | undefined,
  records: MemberRecord[],
  options: { down?: string[]; ring?: RingState | null } = {},
): { state: ClusterState; refused: string[]; screen: FactScreen } {
  const screen = new FactScreen(context(sender, options.down));
  const state = applyPush(mine, { records, ring: options.ring ?? null }, screen);
  return { state, refused: screen.refusals.map((r) => r.reason), screen };
}

const base = cluster(member("n1"), member("n2"), member("n3"), member("n4"));
const of = (state: ClusterState, id: string): MemberRecord => findMember(state, id) as MemberRecord;

describe("peer facts: what a peer may assert", () => {
  test("a relayed 'X left' while X is up is refused; the same after X is down is taken", () => {
    const left = { ...member("n3"), state: "left" as const, stateVersion: 3 };
    const up = receive(base, "n2", [left]);
    assert.equal(of(up.state, "n3").state, "active");
    assert.deepEqual(up.refused, ["relayed_state"]);
    const leaving = receive(base, "n2", [{ ...left, state: "leaving" }]);
    assert.equal(of(leaving.state, "n3").state, "active", "nor leaving");
    const down = receive(base, "n2", [left], { down: ["n3"] });
    assert.equal(of(down.state, "n3").state, "left");
    assert.deepEqual(down.refused, []);
  });

  test("X's own 'leaving' is taken from X; the claimant completing it (leaving -> left) from anyone", () => {
    const own = receive(base, "n3", [{ ...member("n3"), state: "leaving", stateVersion: 3 }]);
    assert.equal(of(own.state, "n3").state, "leaving");
    const done = receive(own.state, "n2", [{ ...member("n3"), state: "left", stateVersion: 4 }]);
    assert.equal(of(done.state, "n3").state, "left");
    assert.deepEqual(done.refused, []);
  });

  test("the claimant's joining -> active is taken, about another member and about us", () => {
    const joining = cluster(
      member("n1", { state: "joining", stateVersion: 1 }),
      member("n2"),
      member("n5", { state: "joining", stateVersion: 1 }),
    );
    const r = receive(joining, "n2", [
      member("n1", { state: "active", stateVersion: 2, generation: 1, heartbeat: 7 }),
      member("n5", { state: "active", stateVersion: 2 }),
    ]);
    assert.equal(of(r.state, "n1").state, "active");
    assert.equal(of(r.state, "n5").state, "active");
    // Only the state is taken about us: our liveness and addresses stay ours.
    assert.equal(of(r.state, "n1").generation, 3);
    assert.equal(of(r.state, "n1").heartbeat, 1000);
    assert.deepEqual(r.refused, []);
  });

  test("about us: left while we run is refused; a removal decided about an earlier run is taken", () => {
    const now = receive(base, "n2", [member("n1", { state: "left", stateVersion: 3 })]);
    assert.equal(of(now.state, "n1").state, "active");
    assert.deepEqual(now.refused, ["self_record"]);
    const earlier = receive(base, "n2", [member("n1", { state: "left", stateVersion: 3, generation: 2 })]);
    assert.equal(of(earlier.state, "n1").state, "left");
    const leaving = cluster(member("n1", { state: "leaving", stateVersion: 3 }), member("n2"));
    const completed = receive(leaving, "n2", [member("n1", { state: "left", stateVersion: 4 })]);
    assert.equal(of(completed.state, "n1").state, "left", "the claimant completes our leave");
  });

  test("about us: another node cannot repoint our address or raise our heartbeat", () => {
    const r = receive(base, "n2", [
      member("n1", { listen: "6.6.6.6:1", infoVersion: 99, heartbeat: 2 ** 39 }),
    ]);
    assert.deepEqual(of(r.state, "n1"), of(base, "n1"));
    const screen = new FactScreen(context("n2"));
    assert.equal(screen.heartbeat(of(base, "n1"), 5000), undefined);
    assert.deepEqual(
      screen.refusals.map((x) => x.reason),
      ["self_record"],
    );
  });

  test("a relayed address change of a live member is refused; the member's own is taken", () => {
    const moved = member("n3", {
      listen: "6.6.6.6:7000",
      http: "6.6.6.6:8000",
      infoVersion: 5,
      heartbeat: 1001,
    });
    const relayed = receive(base, "n2", [moved]);
    assert.equal(of(relayed.state, "n3").listen, member("n3").listen);
    assert.deepEqual(relayed.refused, ["relayed_address"]);
    assert.equal(of(relayed.state, "n3").heartbeat, 1001, "its liveness is still taken");
    // A restart on a new address: a new generation, from the node itself.
    const restarted = member("n3", { listen: "127.0.0.1:9999", generation: 4, heartbeat: 0, infoVersion: 4 });
    const own = receive(base, "n3", [restarted]);
    assert.equal(of(own.state, "n3").listen, "127.0.0.1:9999");
    assert.equal(of(own.state, "n3").generation, 4);
    assert.deepEqual(own.refused, []);
    // The same restart relayed: refused while n3 is up for us, taken once it is down.
    assert.deepEqual(receive(base, "n2", [restarted]).refused, ["relayed_generation"]);
    assert.equal(of(receive(base, "n2", [restarted], { down: ["n3"] }).state, "n3").listen, "127.0.0.1:9999");
  });

  test("a huge relayed heartbeat is clamped to the pace any node can tick at", () => {
    const r = receive(base, "n2", [member("n3", { heartbeat: 2 ** 40 })]);
    const cap = 1000 + BOUNDS.heartbeatSlack + BOUNDS.heartbeatsPerSecondMax; // 1 s since it last advanced
    assert.equal(of(r.state, "n3").heartbeat, cap);
    assert.deepEqual(r.refused, ["heartbeat_step"]);
    // A relayed new generation of a down member: its heartbeat too.
    const gen = receive(base, "n2", [member("n3", { generation: 4, heartbeat: 2 ** 40 })], { down: ["n3"] });
    assert.equal(of(gen.state, "n3").heartbeat, BOUNDS.heartbeatSlack + BOUNDS.heartbeatsPerSecondMax);
    // Far more generations ahead than any restart loop: refused.
    const far = receive(base, "n2", [member("n3", { generation: 3 + BOUNDS.generationStepMax + 1 })], {
      down: ["n3"],
    });
    assert.equal(of(far.state, "n3").generation, 3);
    assert.deepEqual(far.refused, ["generation_step"]);
  });

  test("a member's own record replaces a liveness someone planted ahead of it", () => {
    const planted = cluster(member("n1"), member("n3", { generation: 9, heartbeat: 5 }));
    const r = receive(planted, "n3", [member("n3", { generation: 3, heartbeat: 1200 })]);
    assert.equal(of(r.state, "n3").generation, 3);
    assert.equal(of(r.state, "n3").heartbeat, 1200);
    assert.deepEqual(r.screen.livenessReset, ["n3"]);
    // A heartbeat only slightly older (reordered messages) is not taken as planted.
    const reordered = receive(base, "n3", [member("n3", { heartbeat: 1000 - OWN_HEARTBEAT_REORDER_MAX })]);
    assert.equal(of(reordered.state, "n3").heartbeat, 1000);
    assert.deepEqual(reordered.screen.livenessReset, []);
  });

  test("a member's own digest entry corrects a heartbeat planted ahead of it; a relayer's does not", () => {
    const planted = cluster(member("n1"), member("n2"), member("n3", { heartbeat: 1060 }));
    const theirs = digestOf(cluster(member("n1"), member("n2"), member("n3", { heartbeat: 1001 })));
    const own = new FactScreen(context("n3"));
    assert.equal(of(answerDigest(planted, theirs, own).state, "n3").heartbeat, 1001);
    assert.deepEqual(own.livenessReset, ["n3"]);
    const relayed = new FactScreen(context("n2"));
    assert.equal(of(answerDigest(planted, theirs, relayed).state, "n3").heartbeat, 1060);
    assert.equal(of(answerDigest(planted, theirs).state, "n3").heartbeat, 1060, "nor the plain merge");
  });

  test("a ring far above ours is refused; the next version is taken", () => {
    const owners = RING.owners;
    const huge = receive(base, "n2", [], { ring: { version: 2 ** 40, claimant: "n2", owners, next: null } });
    assert.equal(huge.state.ring?.version, 5);
    assert.deepEqual(huge.refused, ["ring_version_step"]);
    const next = receive(base, "n2", [], { ring: { version: 6, claimant: "n1", owners, next: null } });
    assert.equal(next.state.ring?.version, 6);
    const far = receive(base, "n2", [], {
      ring: { version: 5 + BOUNDS.ringVersionStepMax, claimant: "n1", owners, next: null },
    });
    assert.equal(
      far.state.ring?.version,
      5 + BOUNDS.ringVersionStepMax,
      "a node far behind still catches up",
    );
  });

  test("a member never heard of is taken from anyone (joins spread)", () => {
    const r = receive(base, "n2", [member("n9", { state: "joining", stateVersion: 1 })]);
    assert.equal(of(r.state, "n9").state, "joining");
    assert.deepEqual(r.refused, []);
  });

  test("a remove of a dead node, decided by one node, spreads through relays", () => {
    // n2 removes n4 (down for everyone); n3 learns it from n2 and relays it to us.
    const removed = { ...member("n4"), state: "left" as const, stateVersion: 3 };
    const atN3 = receive(base, "n2", [removed], { down: ["n4"] }).state;
    const atUs = receive(base, "n3", [of(atN3, "n4")], { down: ["n4"] });
    assert.equal(of(atUs.state, "n4").state, "left");
  });

  test("the claimant's decisions pass the screen of the other members", () => {
    // n2 leaves; the claimant n1 plans it out, then completes it; n3 (screening) follows.
    // Every gaining node has reported its partitions received (transfer.version), so it completes.
    const transfer = { version: 99, remaining: 0, keys: 0, bytes: 0 };
    const start = cluster(
      member("n1", { transfer }),
      member("n2", { state: "leaving", stateVersion: 3, transfer }),
      member("n3", { transfer }),
    );
    const up = (): boolean => true;
    let claimant = start;
    let screened: ClusterState = start;
    for (let i = 0; i < 4; i++) {
      const d = decideRing(claimant, "n1", up, 4, 2);
      if (d === undefined) break;
      let next: ClusterState = { members: claimant.members, ring: d.ring };
      for (const u of d.memberUpdates) next = mergeClusterStates(next, { members: [u], ring: null });
      claimant = next;
      const screen = new FactScreen({ ...context("n1"), selfId: "n3" });
      screened = applyPush(screened, { records: [...claimant.members], ring: claimant.ring }, screen);
      assert.deepEqual(screen.refusals, []);
    }
    assert.equal(of(screened, "n2").state, "left");
    assert.deepEqual(screened, claimant);
  });
});

describe("peer facts: properties", () => {
  const states: readonly MembershipState[] = ["joining", "active", "leaving", "left"];
  const record = (id: string) =>
    fc
      .record({
        state: fc.constantFrom(...states),
        stateVersion: fc.integer({ min: 1, max: 12 }),
        generation: fc.integer({ min: 1, max: 4 }),
        heartbeat: fc.integer({ min: 0, max: 2 ** 40 }),
        infoVersion: fc.integer({ min: 0, max: 6 }),
        listen: fc.constantFrom("a:1", "b:2"),
      })
      .map((v) => member(id, v));

  test("a relayed record never marks a live member leaving or left unless it was leaving, and never changes its address within a generation", () => {
    fc.assert(
      fc.property(record("n3"), record("n3"), (ours, theirs) => {
        const mine = cluster(member("n1"), ours);
        const next = of(receive(mine, "n2", [theirs]).state, "n3");
        if (next.state !== ours.state) {
          const claimant =
            (ours.state === "joining" && next.state === "active") ||
            (ours.state === "leaving" && next.state === "left");
          assert.ok(claimant, `${ours.state} -> ${next.state}`);
        }
        assert.equal(next.generation, ours.generation, "no new generation of a live member from a relayer");
        assert.equal(next.listen, ours.listen);
        assert.ok(next.heartbeat <= ours.heartbeat + BOUNDS.heartbeatSlack + BOUNDS.heartbeatsPerSecondMax);
      }),
    );
  });

  test("nothing another node sends changes our own record but its state, and that only by the allowed transitions", () => {
    fc.assert(
      fc.property(record("n1"), record("n1"), fc.constantFrom("n2", undefined), (ours, theirs, sender) => {
        const next = of(receive(cluster(ours, member("n2")), sender, [theirs]).state, "n1");
        assert.deepEqual({ ...next, state: ours.state, stateVersion: ours.stateVersion }, ours);
        if (next.state !== ours.state) {
          const allowed =
            (ours.state === "joining" && next.state === "active") ||
            (ours.state === "leaving" && next.state === "left") ||
            (next.state === "left" && theirs.generation < ours.generation);
          assert.ok(allowed, `${ours.state} -> ${next.state}`);
        }
      }),
    );
  });

  test("a member's own records merge as the plain join does, unless ours was planted ahead of it", () => {
    fc.assert(
      fc.property(record("n3"), record("n3"), (ours, theirs) => {
        const mine = cluster(member("n1"), ours);
        const screened = receive(mine, "n3", [theirs]);
        const planted =
          ours.generation > theirs.generation ||
          (ours.generation === theirs.generation &&
            ours.heartbeat > theirs.heartbeat + OWN_HEARTBEAT_REORDER_MAX);
        if (planted) assert.equal(of(screened.state, "n3").heartbeat, theirs.heartbeat);
        else assert.deepEqual(screened.state, applyPush(mine, { records: [theirs], ring: null }, trustAll));
      }),
    );
  });

  test("the trusting filter is the plain merge", () => {
    fc.assert(
      fc.property(record("n2"), record("n2"), (ours, theirs) => {
        const mine = cluster(member("n1"), ours);
        assert.deepEqual(
          applyPush(mine, { records: [theirs], ring: null }),
          mergeClusterStates(mine, { members: [theirs], ring: null }),
        );
      }),
    );
  });
});
