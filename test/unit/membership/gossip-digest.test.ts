import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  BadClusterStateError,
  type ClusterState,
  type MemberRecord,
  type MembershipState,
  mergeClusterStates,
  NO_TRANSFER,
  type RingState,
} from "../../../src/core/membership/cluster-state.js";
import {
  answerDigest,
  applyAnswer,
  applyPush,
  digestOf,
  pushFor,
} from "../../../src/core/membership/gossip-digest.js";
import { parseAnswer, parseDigest } from "../../../src/protocol/gossip-schema.js";

const LIMITS = { membersMax: 100, partitions: 4 };
const STATES: readonly MembershipState[] = ["joining", "active", "leaving", "left"];

/**
 * A member record whose descriptive fields are a function of (generation, infoVersion), as the
 * protocol guarantees: only the node itself changes them, and it bumps infoVersion when it does.
 */
function record(
  id: string,
  v: {
    generation: number;
    heartbeat: number;
    infoVersion: number;
    stateVersion: number;
    state: MembershipState;
  },
): MemberRecord {
  const tag = v.generation * 1000 + v.infoVersion;
  return {
    id,
    listen: `${id}:${7000 + v.generation}`,
    http: `${id}:8000`,
    state: v.state,
    stateVersion: v.stateVersion,
    generation: v.generation,
    heartbeat: v.heartbeat,
    load: { keys: tag, hints: 0, diskBytes: tag * 10 },
    transfer: NO_TRANSFER,
    ringVersion: tag,
    infoVersion: v.infoVersion,
  };
}

const versions = fc.record({
  generation: fc.integer({ min: 1, max: 3 }),
  heartbeat: fc.integer({ min: 0, max: 5 }),
  infoVersion: fc.integer({ min: 0, max: 3 }),
  stateVersion: fc.integer({ min: 1, max: 3 }),
  state: fc.constantFrom(...STATES),
});

const IDS = ["a", "b", "c", "d", "e"];

/** A node's view: some of the members, each at some versions, and maybe a ring over them. */
const view = fc
  .tuple(
    fc.subarray(IDS, { minLength: 1 }),
    fc.array(versions, { minLength: IDS.length, maxLength: IDS.length }),
    fc.option(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.constantFrom("a", "b"), fc.nat())),
  )
  .map(([ids, vs, ring]): ClusterState => {
    const members = ids.map((id, i) => record(id, vs[i] as Parameters<typeof record>[1]));
    let r: RingState | null = null;
    if (ring !== null) {
      const [version, claimant, pick] = ring;
      const owners = [0, 1, 2, 3].map((p) => ids[(pick + p) % ids.length] as string);
      r = { version, claimant, owners, next: null };
    }
    return { members, ring: r };
  });

/** One full exchange: A sends its digest to B, takes B's answer, pushes what B asked for. */
function exchange(a: ClusterState, b: ClusterState): { a: ClusterState; b: ClusterState } {
  // Through the wire format's validation, as the Gossiper does.
  const digest = parseDigest(JSON.parse(JSON.stringify(digestOf(a))), LIMITS);
  const answered = answerDigest(b, digest);
  const answer = parseAnswer(JSON.parse(JSON.stringify(answered.answer)), LIMITS);
  const applied = applyAnswer(a, answer);
  const push = pushFor(applied, digest, answer);
  return { a: applied, b: push === undefined ? answered.state : applyPush(answered.state, push) };
}

/** Members and ring, ignoring object identity. */
const canonical = (s: ClusterState): unknown => JSON.parse(JSON.stringify(s));

/** A ring whose owners are all members of the state (what a real cluster gossips). */
function consistent(s: ClusterState): boolean {
  const ids = new Set(s.members.map((m) => m.id));
  return s.ring === null || s.ring.owners.every((o) => ids.has(o));
}

describe("digest gossip", () => {
  test("one exchange leaves both sides with exactly the merge of the two states", () => {
    fc.assert(
      fc.property(view, view, (a, b) => {
        fc.pre(consistent(a) && consistent(b));
        const expected = canonical(mergeClusterStates(a, b));
        const after = exchange(a, b);
        assert.deepEqual(canonical(after.a), expected);
        assert.deepEqual(canonical(after.b), expected);
      }),
      { numRuns: 500 },
    );
  });

  test("when only heartbeats moved, they travel as [id, generation, heartbeat] and nothing is pushed", () => {
    const v = { generation: 1, infoVersion: 2, stateVersion: 1, state: "active" as const };
    const a: ClusterState = {
      members: [record("a", { ...v, heartbeat: 9 }), record("b", { ...v, heartbeat: 1 })],
      ring: null,
    };
    const b: ClusterState = {
      members: [record("a", { ...v, heartbeat: 3 }), record("b", { ...v, heartbeat: 7 })],
      ring: null,
    };
    const { state, answer } = answerDigest(b, digestOf(a));
    assert.deepEqual(answer.records, []);
    assert.deepEqual(answer.heartbeats, [["b", 1, 7]]);
    assert.deepEqual(answer.want, []);
    assert.equal(answer.wantRing, false);
    assert.equal(state.members[0]?.heartbeat, 9, "B took a's newer heartbeat from the digest");
    assert.equal(pushFor(applyAnswer(a, answer), digestOf(a), answer), undefined);
  });

  test("a member the peer does not know is asked for and pushed whole", () => {
    const v = { generation: 1, heartbeat: 1, infoVersion: 0, stateVersion: 1, state: "joining" as const };
    const a: ClusterState = { members: [record("a", v), record("new", v)], ring: null };
    const b: ClusterState = { members: [record("a", v)], ring: null };
    const { answer } = answerDigest(b, digestOf(a));
    assert.deepEqual(answer.want, ["new"]);
    const push = pushFor(applyAnswer(a, answer), digestOf(a), answer);
    assert.deepEqual(
      push?.records.map((r) => r.id),
      ["new"],
    );
  });

  test("two rings of one version and claimant with other owners are both sent, and both sides keep the same one", () => {
    const v = { generation: 1, heartbeat: 1, infoVersion: 0, stateVersion: 1, state: "active" as const };
    const members = [record("a", v), record("b", v)];
    const a: ClusterState = {
      members,
      ring: { version: 2, claimant: "a", owners: ["a", "a", "b", "b"], next: null },
    };
    const b: ClusterState = {
      members,
      ring: { version: 2, claimant: "a", owners: ["b", "b", "a", "a"], next: null },
    };
    const after = exchange(a, b);
    assert.deepEqual(after.a.ring, after.b.ring);
    assert.deepEqual(after.a.ring, mergeClusterStates(a, b).ring);
  });

  test("a pushed ring carries the records of members the peer never heard of (sim seed 44)", () => {
    // A sent its digest before it learnt of n3 and of the ring that includes n3; by the time it
    // pushes the ring B asked for, the ring names n3, which B must get too.
    const v = { generation: 1, heartbeat: 1, infoVersion: 0, stateVersion: 1, state: "active" as const };
    const before: ClusterState = {
      members: [record("n1", v), record("n2", v)],
      ring: { version: 2, claimant: "n1", owners: ["n1", "n1", "n2", "n2"], next: null },
    };
    const b: ClusterState = {
      members: [record("n1", v), record("n2", v)],
      ring: { version: 1, claimant: "n1", owners: ["n1", "n1", "n1", "n1"], next: null },
    };
    const digest = digestOf(before);
    const { state: bAfter, answer } = answerDigest(b, digest);
    assert.equal(answer.wantRing, true);
    const now: ClusterState = {
      members: [...before.members, record("n3", v)],
      ring: { version: 3, claimant: "n1", owners: ["n1", "n2", "n3", "n3"], next: null },
    };
    const push = pushFor(applyAnswer(now, answer), digest, answer);
    assert.deepEqual(
      push?.records.map((r) => r.id),
      ["n3"],
    );
    const merged = applyPush(bAfter, push as NonNullable<typeof push>);
    assert.equal(merged.ring?.version, 3);
  });

  test("a malformed digest or answer is refused", () => {
    assert.throws(
      () => parseDigest({ entries: [["a", 1, 1, 1, 1]], ring: null }, LIMITS),
      BadClusterStateError,
    );
    assert.throws(
      () => parseDigest({ entries: [["a", 1, 1, 1, 1, 9]], ring: null }, LIMITS),
      BadClusterStateError,
    );
    assert.throws(
      () => parseDigest({ entries: [["bad id!", 1, 1, 1, 1, 1]], ring: null }, LIMITS),
      BadClusterStateError,
    );
    assert.throws(() => parseDigest({ entries: [], ring: [1, "a"] }, LIMITS), BadClusterStateError);
    assert.throws(
      () =>
        parseDigest(
          { entries: Array.from({ length: 101 }, (_, i) => [`m${i}`, 1, 1, 1, 1, 1]), ring: null },
          LIMITS,
        ),
      BadClusterStateError,
    );
    assert.throws(
      () =>
        parseAnswer(
          { heartbeats: [["a", -1, 1]], records: [], ring: null, want: [], wantRing: false },
          LIMITS,
        ),
      BadClusterStateError,
    );
    assert.throws(
      () => parseAnswer({ heartbeats: [], records: [], ring: null, want: [], wantRing: "yes" }, LIMITS),
      BadClusterStateError,
    );
  });

  test("an answer whose ring names a member nobody knows is refused", () => {
    const v = { generation: 1, heartbeat: 1, infoVersion: 0, stateVersion: 1, state: "active" as const };
    const a: ClusterState = { members: [record("a", v)], ring: null };
    assert.throws(
      () =>
        applyAnswer(a, {
          heartbeats: [],
          records: [],
          ring: { version: 1, claimant: "a", owners: ["a", "a", "ghost", "a"], next: null },
          want: [],
          wantRing: false,
        }),
      BadClusterStateError,
    );
  });
});
