import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { pack } from "msgpackr";
import {
  type DvvSet,
  emptyDvvSet,
  join,
  sync,
  update,
  type VersionVector,
} from "../../src/core/causality/index.js";
import { expiredAsTombstones, isDeadAt, isExpired, TTL_S_MAX } from "../../src/core/expiry.js";
import {
  CorruptObjectError,
  decodeStoredObject,
  encodeStoredObject,
  liveSiblings,
  type Sibling,
  type StoredObject,
} from "../../src/core/stored-object.js";

function live(text: string, writtenAtMs: number, expiresAtMs?: number): Sibling {
  const value = new TextEncoder().encode(text);
  return expiresAtMs === undefined
    ? { value, contentType: "text/plain", deleted: false, writtenAtMs }
    : { value, contentType: "text/plain", deleted: false, writtenAtMs, expiresAtMs };
}

function texts(o: StoredObject): string[] {
  return liveSiblings(o)
    .map((s) => new TextDecoder().decode(s.value))
    .sort();
}

test("an object written before expiry existed (4-tuple siblings) still decodes, without a deadline", () => {
  // Bytes exactly as the previous version wrote them: format byte 0x01 ++ MessagePack of
  // [[actor, counter, [[value, contentType, deleted, writtenAtMs]]]].
  const body = pack([["n1@a", 2, [[Buffer.from("old"), "text/plain", false, 1234]]]]);
  const bytes = new Uint8Array(body.length + 1);
  bytes[0] = 0x01;
  bytes.set(body, 1);
  const o = decodeStoredObject(bytes);
  const [s] = liveSiblings(o);
  assert.ok(s !== undefined);
  assert.equal(new TextDecoder().decode(s.value), "old");
  assert.equal(s.writtenAtMs, 1234);
  assert.equal(s.expiresAtMs, undefined);
  assert.equal("expiresAtMs" in s, false);
  // A sibling without a deadline is written back in the old format, byte for byte.
  const again = encodeStoredObject({ entries: o.entries.map((e) => ({ ...e })) });
  assert.deepEqual(Buffer.from(again), Buffer.from(bytes));
});

test("a deadline survives encoding as a trailing fifth element", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 ** 48 }),
      fc.integer({ min: 0, max: 2 ** 48 }),
      (at, deadline) => {
        const o = update(emptyDvvSet<Sibling>(), [], "n1@a", live("v", at, deadline));
        const decoded = decodeStoredObject(encodeStoredObject(o));
        assert.equal(liveSiblings(decoded)[0]?.expiresAtMs, deadline);
        assert.equal(liveSiblings(decoded)[0]?.writtenAtMs, at);
      },
    ),
  );
});

test("a deadline that is not a finite number is refused as corrupt, from disk or a peer", () => {
  for (const bad of ["soon", null, true, Number.NaN]) {
    const body = pack([["n1@a", 1, [[Buffer.from("x"), "text/plain", false, 1, bad]]]]);
    const bytes = new Uint8Array(body.length + 1);
    bytes[0] = 0x01;
    bytes.set(body, 1);
    assert.throws(() => decodeStoredObject(bytes), CorruptObjectError, `deadline ${String(bad)}`);
  }
  const sixFields = pack([["n1@a", 1, [[Buffer.from("x"), "text/plain", false, 1, 2, 3]]]]);
  const bytes = new Uint8Array(sixFields.length + 1);
  bytes[0] = 0x01;
  bytes.set(sixFields, 1);
  assert.throws(() => decodeStoredObject(bytes), CorruptObjectError);
});

test("a version expires exactly at its deadline and a tombstone never counts as expired", () => {
  const s = live("v", 0, 5000);
  assert.equal(isExpired(s, 4999), false);
  assert.equal(isExpired(s, 5000), true);
  assert.equal(isExpired(live("v", 0), Number.MAX_SAFE_INTEGER), false);
  const o = update(emptyDvvSet<Sibling>(), [], "n1@a", s);
  assert.equal(isDeadAt(o, 4999), false);
  assert.equal(isDeadAt(o, 5000), true);
  assert.equal(isDeadAt(emptyDvvSet<Sibling>(), 0), false, "an empty object is not a dead key");
  assert.equal(TTL_S_MAX, 315_360_000);
});

test("the expired view keeps every dot, so the context still covers the expired version", () => {
  const o = update(emptyDvvSet<Sibling>(), [], "n1@a", live("v", 0, 10));
  const view = expiredAsTombstones(o, 10);
  assert.deepEqual(join(view), join(o));
  assert.equal(liveSiblings(view).length, 0);
  assert.equal(expiredAsTombstones(o, 9), o, "nothing expired: the object itself");
});

// ---- Expiry against causality, on random histories with a reference model ----

type Command =
  | { kind: "write"; replica: number; read: number; withContext: boolean; ttlMs: number | null }
  | { kind: "sync"; from: number; to: number }
  | { kind: "tick"; ms: number };

const REPLICAS = ["n1@a", "n2@a", "n3@a"] as const;
const index = fc.nat({ max: REPLICAS.length - 1 });

const commands: fc.Arbitrary<Command[]> = fc.array(
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant("write" as const),
        replica: index,
        read: index,
        withContext: fc.boolean(),
        ttlMs: fc.option(fc.integer({ min: 1, max: 50 }), { nil: null }),
      }),
    },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("sync" as const), from: index, to: index }) },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant("tick" as const), ms: fc.integer({ min: 1, max: 30 }) }),
    },
  ),
  { maxLength: 60 },
);

interface Played {
  states: DvvSet<Sibling>[];
  /** Per replica, the write ids it has seen (the model). */
  seen: Set<number>[];
  /** Per write id: the ids its context had seen, and its deadline. */
  writes: { covers: Set<number>; expiresAtMs: number | undefined }[];
  nowMs: number;
  /** Write ids that were read as live (by the model) at a time past their deadline: must be none. */
  history: { atMs: number; views: string[][] }[];
}

/** What the model says a client reading `seen` at `nowMs` gets: live, uncovered, unexpired writes. */
function expected(p: Played, seen: ReadonlySet<number>, nowMs: number): string[] {
  const alive: string[] = [];
  for (const id of seen) {
    const covered = [...seen].some((other) => p.writes[other]?.covers.has(id) === true);
    const w = p.writes[id];
    if (covered || w === undefined) continue;
    if (w.expiresAtMs !== undefined && nowMs >= w.expiresAtMs) continue;
    alive.push(`w${id}`);
  }
  return alive.sort();
}

function play(cmds: readonly Command[]): Played {
  const p: Played = {
    states: REPLICAS.map(() => emptyDvvSet<Sibling>()),
    seen: REPLICAS.map(() => new Set<number>()),
    writes: [],
    nowMs: 0,
    history: [],
  };
  for (const c of cmds) {
    if (c.kind === "tick") p.nowMs += c.ms;
    else if (c.kind === "sync") {
      p.states[c.to] = sync(p.states[c.to] as StoredObject, p.states[c.from] as StoredObject);
      for (const id of p.seen[c.from] as Set<number>) p.seen[c.to]?.add(id);
    } else {
      const context: VersionVector = c.withContext ? join(p.states[c.read] as StoredObject) : [];
      const covers = c.withContext ? new Set(p.seen[c.read]) : new Set<number>();
      const id = p.writes.length;
      const expiresAtMs = c.ttlMs === null ? undefined : p.nowMs + c.ttlMs;
      p.writes.push({ covers, expiresAtMs });
      const actor = REPLICAS[c.replica] as string;
      p.states[c.replica] = update(
        p.states[c.replica] as StoredObject,
        context,
        actor,
        live(`w${id}`, p.nowMs, expiresAtMs),
      );
      // The replica's history now includes what the context covered (its version vector does).
      for (const covered of covers) p.seen[c.replica]?.add(covered);
      p.seen[c.replica]?.add(id);
    }
    p.history.push({ atMs: p.nowMs, views: p.states.map((s) => texts(expiredAsTombstones(s, p.nowMs))) });
  }
  return p;
}

test("every replica reads exactly the writes that are neither superseded nor expired", () => {
  fc.assert(
    fc.property(commands, (cmds) => {
      const p = play(cmds);
      p.states.forEach((state, r) => {
        const seen = p.seen[r] as Set<number>;
        assert.deepEqual(texts(expiredAsTombstones(state, p.nowMs)), expected(p, seen, p.nowMs));
      });
    }),
  );
});

test("an expired version concurrent with a live one leaves the live one readable", () => {
  const base = update(emptyDvvSet<Sibling>(), [], "n1@a", live("base", 0));
  const expiring = update(base, join(base), "n1@a", live("expiring", 1, 10));
  const concurrent = update(base, join(base), "n2@a", live("kept", 2));
  for (const merged of [sync(expiring, concurrent), sync(concurrent, expiring)]) {
    assert.deepEqual(texts(expiredAsTombstones(merged, 9)), ["expiring", "kept"]);
    assert.deepEqual(texts(expiredAsTombstones(merged, 10)), ["kept"]);
    // The old base stays superseded: expiry does not uncover what the expired write covered.
    assert.deepEqual(texts(expiredAsTombstones(sync(merged, base), 1000)), ["kept"]);
  }
});

test("a write with the context of an expired version supersedes it, and no older copy comes back", () => {
  // Write with the context of what a replica reads some time later (expired versions included).
  fc.assert(
    fc.property(commands, index, index, (cmds, reader, writer) => {
      const p = play(cmds);
      const later = p.nowMs + 100;
      const readView = expiredAsTombstones(p.states[reader] as StoredObject, later);
      const written = update(
        p.states[writer] as StoredObject,
        join(readView),
        REPLICAS[writer] as string,
        live("new", later),
      );
      // Merge the new version with every replica's copy, in both orders: what the reader saw
      // (expired or not) never shows again; only "new" and writes the reader had not seen.
      for (const other of p.states) {
        for (const merged of [sync(written, other), sync(other, written)]) {
          const shown = texts(expiredAsTombstones(merged, later));
          assert.ok(shown.includes("new"));
          for (const t of texts(readView)) assert.ok(!shown.includes(t), `${t} was superseded`);
          for (const s of liveSiblings(p.states[reader] as StoredObject)) {
            const t = new TextDecoder().decode(s.value);
            if (s.expiresAtMs !== undefined && later >= s.expiresAtMs)
              assert.ok(!shown.includes(t), `expired ${t} came back`);
          }
        }
      }
    }),
  );
});

test("merging copies that hold expired siblings gives the same reads in any order", () => {
  fc.assert(
    fc.property(commands, fc.nat({ max: 100 }), (cmds, laterMs) => {
      const p = play(cmds);
      const at = p.nowMs + laterMs;
      const [a, b, c] = p.states as [StoredObject, StoredObject, StoredObject];
      const orders = [sync(sync(a, b), c), sync(sync(c, b), a), sync(a, sync(c, b)), sync(sync(b, a), c)];
      const reads = orders.map((o) => texts(expiredAsTombstones(o, at)));
      for (const r of reads) assert.deepEqual(r, reads[0]);
      const all = new Set<number>([...(p.seen[0] ?? []), ...(p.seen[1] ?? []), ...(p.seen[2] ?? [])]);
      assert.deepEqual(reads[0], expected(p, all, at));
    }),
  );
});

test("once a version has expired on a replica, it never reads live again anywhere, whatever merges follow", () => {
  fc.assert(
    fc.property(commands, (cmds) => {
      const p = play(cmds);
      // History: at each step, a write shown on any replica must not be past its deadline.
      for (const step of p.history) {
        for (const view of step.views) {
          for (const t of view) {
            const w = p.writes[Number(t.slice(1))];
            assert.ok(w !== undefined);
            assert.ok(
              w.expiresAtMs === undefined || step.atMs < w.expiresAtMs,
              `${t} read live after expiry`,
            );
          }
        }
      }
    }),
  );
});
