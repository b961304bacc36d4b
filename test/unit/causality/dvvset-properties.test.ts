import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  assertValidDvvSet,
  type DvvSet,
  descends,
  join,
  sync,
  update,
  values,
} from "../../../src/core/causality/index.js";
import { canonical, historySpec, play, sortedValues } from "./random-history.js";

const pick = fc.nat({ max: 1000 });

function stateAt(states: DvvSet<number>[], i: number): DvvSet<number> {
  return states[i % states.length] as DvvSet<number>;
}

test("sync is commutative, associative and idempotent on replica states of one history", () => {
  fc.assert(
    fc.property(historySpec, pick, pick, pick, (spec, i, j, k) => {
      const h = play(spec);
      const a = stateAt(h.states, i);
      const b = stateAt(h.states, j);
      const c = stateAt(h.states, k);
      assert.deepEqual(canonical(sync(a, b)), canonical(sync(b, a)));
      assert.deepEqual(canonical(sync(sync(a, b), c)), canonical(sync(a, sync(b, c))));
      assert.deepEqual(canonical(sync(a, a)), canonical(a));
      assert.deepEqual(canonical(sync(sync(a, b), b)), canonical(sync(a, b)));
    }),
  );
});

test("every replica holds exactly the values no write it has seen covered, with the exact version vector", () => {
  fc.assert(
    fc.property(historySpec, (spec) => {
      const h = play(spec);
      h.states.forEach((state, r) => {
        assertValidDvvSet(state);
        const seen = h.seen[r] as Set<number>;
        assert.deepEqual(sortedValues(state), h.alive(seen), `replica ${r} values`);
        assert.deepEqual(join(state), h.expectedVector(seen), `replica ${r} version vector`);
      });
    }),
  );
});

test("a write never drops a value its context did not cover: after syncing all replicas the survivors are the uncovered writes", () => {
  fc.assert(
    fc.property(historySpec, (spec) => {
      const h = play(spec);
      const all = new Set(h.writes.map((w) => w.id));
      const merged = h.allSynced();
      assertValidDvvSet(merged);
      assert.deepEqual(sortedValues(merged), h.alive(all));
      assert.deepEqual(join(merged), h.expectedVector(all));
    }),
  );
});

test("the model holds at every step, not only at the end of a history", () => {
  fc.assert(
    fc.property(historySpec, (spec) => {
      const h = play({ replicaCount: spec.replicaCount, commands: [] });
      for (const command of spec.commands) {
        h.apply(command);
        h.states.forEach((state, r) => {
          assert.deepEqual(sortedValues(state), h.alive(h.seen[r] as Set<number>));
        });
      }
    }),
    { numRuns: 50 },
  );
});

test("a write whose context covers all siblings leaves exactly one value", () => {
  fc.assert(
    fc.property(historySpec, pick, pick, (spec, r, q) => {
      const h = play(spec);
      const replica = r % h.states.length;
      // The context of a quorum read that includes the coordinator covers everything it holds.
      const read = h.read([replica, q % h.states.length]);
      const id = h.write(replica, read);
      assert.deepEqual(values(h.states[replica] as DvvSet<number>), [id]);
    }),
  );
});

test("two writes with the same context leave both values as siblings, on one coordinator or two", () => {
  fc.assert(
    fc.property(historySpec, pick, pick, pick, (spec, r, q, readIndex) => {
      const h = play(spec);
      const read = h.reads[readIndex % h.reads.length];
      assert.ok(read);
      const first = r % h.states.length;
      const second = q % h.states.length;
      const x = h.write(first, read);
      const y = h.write(second, read);
      h.syncInto(first, second);
      const held = values(h.states[first] as DvvSet<number>);
      assert.ok(held.includes(x), `first write ${x} lost: ${held.join(",")}`);
      assert.ok(held.includes(y), `second write ${y} lost: ${held.join(",")}`);
    }),
  );
});

test("two writes with a context covering everything leave exactly two siblings", () => {
  fc.assert(
    fc.property(historySpec, pick, pick, (spec, r, q) => {
      const h = play(spec);
      const everything = h.read(h.states.map((_, i) => i));
      const first = r % h.states.length;
      const second = q % h.states.length;
      // Both coordinators first catch up, so only the two new writes are uncovered.
      for (let i = 0; i < h.states.length; i++) h.syncInto(first, i);
      for (let i = 0; i < h.states.length; i++) h.syncInto(second, i);
      const x = h.write(first, everything);
      const y = h.write(second, everything);
      h.syncInto(first, second);
      assert.deepEqual(
        sortedValues(h.states[first] as DvvSet<number>),
        [x, y].sort((a, b) => a - b),
      );
    }),
  );
});

test("the version vector after a write descends both the context and the previous state, and strictly grows", () => {
  fc.assert(
    fc.property(historySpec, pick, pick, (spec, r, readIndex) => {
      const h = play(spec);
      const replica = r % h.states.length;
      const read = h.reads[readIndex % h.reads.length];
      assert.ok(read);
      const before = h.states[replica] as DvvSet<number>;
      const after = update(before, read.vv, h.actors[replica] as string, -1);
      assert.ok(descends(join(after), read.vv));
      assert.ok(descends(join(after), join(before)));
      assert.ok(!descends(join(before), join(after)));
    }),
  );
});

test("descends agrees with set inclusion of the model's causal histories", () => {
  fc.assert(
    fc.property(historySpec, pick, pick, (spec, i, j) => {
      const h = play(spec);
      const a = h.reads[i % h.reads.length];
      const b = h.reads[j % h.reads.length];
      assert.ok(a && b);
      const included = [...b.seen].every((w) => a.seen.has(w));
      assert.equal(descends(a.vv, b.vv), included);
    }),
  );
});
