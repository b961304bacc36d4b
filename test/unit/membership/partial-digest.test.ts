import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  type ClusterState,
  type MemberRecord,
  mergeClusterStates,
  NO_LOAD,
  NO_TRANSFER,
} from "../../../src/core/membership/cluster-state.js";
import {
  answerDigest,
  applyAnswer,
  applyPush,
  partialDigestOf,
  pushFor,
} from "../../../src/core/membership/gossip-digest.js";
import { parseAnswer, parseDigest } from "../../../src/protocol/gossip-schema.js";

const LIMITS = { membersMax: 1000, partitions: 4 };

function member(id: string, heartbeat: number, generation = 1): MemberRecord {
  return {
    id,
    listen: `${id}:7000`,
    http: `${id}:8000`,
    state: "active",
    stateVersion: 1,
    generation,
    heartbeat,
    load: NO_LOAD,
    transfer: NO_TRANSFER,
    ringVersion: 0,
    infoVersion: 1,
  };
}

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `m${String(i).padStart(4, "0")}`);

function cluster(n: number, heartbeat: (i: number) => number): ClusterState {
  return { members: ids(n).map((id, i) => member(id, heartbeat(i))), ring: null };
}

describe("partial digests", () => {
  test("the slices of one round list every member exactly once, and `always` in every slice", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 8 }),
        fc.nat(),
        fc.subarray(ids(200), { maxLength: 5 }),
        (n, slices, round, alwaysPick) => {
          const state = cluster(n, () => 1);
          const known = new Set(state.members.map((m) => m.id));
          const always = new Set(alwaysPick.filter((id) => known.has(id)));
          const counts = new Map<string, number>();
          for (let i = 0; i < slices; i++) {
            const digest = partialDigestOf(state, { slice: round + i, slices, always });
            assert.equal(digest.partial, true);
            for (const id of always)
              assert.ok(
                digest.entries.some(([e]) => e === id),
                `${id} is in always but missing from slice ${i}`,
              );
            for (const [id] of digest.entries) counts.set(id, (counts.get(id) ?? 0) + 1);
          }
          for (const id of known) {
            const expected = always.has(id) ? slices : 1;
            assert.equal(counts.get(id), expected, `${id} listed ${counts.get(id)} times over the round`);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  test("a slice of 1000 members is about a third of the full digest with 3 slices", () => {
    const state = cluster(1000, (i) => i);
    const digest = partialDigestOf(state, { slice: 0, slices: 3, always: new Set(["m0001"]) });
    assert.equal(digest.entries.length, 334 + 1);
  });

  test("a partial digest gets no record back for the members it left out, but the peer's news it does", () => {
    const a = cluster(10, () => 5);
    const b = cluster(10, () => 5);
    // b also knows a member that a has never heard of, and it is b's news (it just joined).
    const joined = member("z-new", 1);
    const bWithJoiner: ClusterState = { members: [...b.members, joined], ring: null };
    const digest = parseDigest(
      JSON.parse(JSON.stringify(partialDigestOf(a, { slice: 0, slices: 3, always: new Set() }))),
      LIMITS,
    );
    assert.equal(digest.partial, true, "the flag survives the wire format's validation");
    const quiet = answerDigest(bWithJoiner, digest).answer;
    assert.deepEqual(quiet.records, [], "without news, members left out are not sent back");
    const told = answerDigest(bWithJoiner, digest, undefined, new Set(["z-new"])).answer;
    assert.deepEqual(
      told.records.map((r) => r.id),
      ["z-new"],
    );
  });

  test("exchanges of partial digests over a round leave both sides with the merge of their states", () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 20 }), { minLength: 40, maxLength: 40 }),
        fc.array(fc.nat({ max: 20 }), { minLength: 40, maxLength: 40 }),
        fc.integer({ min: 1, max: 4 }),
        (ha, hb, slices) => {
          let a = cluster(40, (i) => ha[i] as number);
          let b = cluster(40, (i) => hb[i] as number);
          const expected = JSON.parse(JSON.stringify(mergeClusterStates(a, b)));
          for (let i = 0; i < slices; i++) {
            const digest = parseDigest(
              JSON.parse(JSON.stringify(partialDigestOf(a, { slice: i, slices, always: new Set() }))),
              LIMITS,
            );
            const answered = answerDigest(b, digest);
            const answer = parseAnswer(JSON.parse(JSON.stringify(answered.answer)), LIMITS);
            a = applyAnswer(a, answer);
            const push = pushFor(a, digest, answer);
            b = push === undefined ? answered.state : applyPush(answered.state, push);
          }
          assert.deepEqual(JSON.parse(JSON.stringify(a)), expected);
          assert.deepEqual(JSON.parse(JSON.stringify(b)), expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  test("a digest with a partial flag that is not a boolean is refused", () => {
    assert.throws(() => parseDigest({ entries: [], ring: null, partial: "yes" }, LIMITS));
  });
});
