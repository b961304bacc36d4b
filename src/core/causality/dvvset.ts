/**
 * Dotted version vector sets (Almeida, Baquero, Gonçalves, Preguiça, Fonte, "Scalable and
 * Accurate Causality Tracking for Eventually Consistent Stores", DAIS 2014), the design Riak's
 * dvvset uses. A set holds, per actor, a counter N and the values written by that actor's most
 * recent dots: values[i] is the value of dot (actor, N - i). Every dot (actor, k) with
 * k <= N - values.length is in the set's history but its value has been superseded.
 *
 * All functions are pure and never mutate their inputs; unchanged parts are shared.
 * Correctness rests on one property of the caller: a dot is unique, i.e. only the replica
 * named `actor` calls `update` with that actor, on a state that includes every dot it issued.
 */
import { actorIdProblem, dvvSetProblem, versionVectorProblem } from "./invariants.js";

/** Who coordinated a write (1..255 UTF-8 bytes). */
export type ActorId = string;

/** Sorted by actor (plain JS string `<`), strictly increasing; counters are safe integers >= 1. */
export type VersionVector = ReadonlyArray<readonly [actor: ActorId, counter: number]>;

/** values newest first: values[i] is the value written by dot (actor, counter - i); values.length <= counter. */
export interface DvvEntry<V> {
  readonly actor: ActorId;
  readonly counter: number;
  readonly values: readonly V[];
}

/** Entries sorted by actor, strictly increasing. */
export interface DvvSet<V> {
  readonly entries: ReadonlyArray<DvvEntry<V>>;
}

const empty: DvvSet<never> = Object.freeze({ entries: Object.freeze([]) });

export function emptyDvvSet<V>(): DvvSet<V> {
  return empty;
}

/**
 * A coordinator `actor` applies a client write of `value` whose context is `context` to the
 * replica's current set. The new value supersedes every value the context covers; values the
 * context does not cover stay as siblings.
 */
export function update<V>(current: DvvSet<V>, context: VersionVector, actor: ActorId, value: V): DvvSet<V> {
  assertValid(versionVectorProblem(context), "context");
  assertValid(actorIdProblem(actor), "actor");
  // The context as a set with no values: syncing with it drops exactly the values it covers
  // and lifts the counters to what the client has seen.
  const seen: DvvSet<V> = { entries: context.map(([a, counter]) => ({ actor: a, counter, values: [] })) };
  return event(sync(seen, current), actor, value);
}

/** Merges two replicas' histories. Commutative, associative, idempotent (as sets of (dot, value)). */
export function sync<V>(a: DvvSet<V>, b: DvvSet<V>): DvvSet<V> {
  if (a === b || b.entries.length === 0) return a;
  if (a.entries.length === 0) return b;
  const merged: DvvEntry<V>[] = [];
  const x = a.entries;
  const y = b.entries;
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    const ex = x[i] as DvvEntry<V>;
    const ey = y[j] as DvvEntry<V>;
    if (ex.actor < ey.actor) {
      merged.push(ex);
      i++;
    } else if (ey.actor < ex.actor) {
      merged.push(ey);
      j++;
    } else {
      merged.push(mergeEntry(ex, ey));
      i++;
      j++;
    }
  }
  for (; i < x.length; i++) merged.push(x[i] as DvvEntry<V>);
  for (; j < y.length; j++) merged.push(y[j] as DvvEntry<V>);
  return { entries: merged };
}

/**
 * Two views of one actor's dots. A dot survives when neither side has it in its history
 * without a value, i.e. when it is above both sides' "superseded up to" floors; since dots are
 * unique, the side with the higher counter holds every surviving value.
 */
function mergeEntry<V>(x: DvvEntry<V>, y: DvvEntry<V>): DvvEntry<V> {
  const floor = Math.max(x.counter - x.values.length, y.counter - y.values.length);
  const newer = x.counter >= y.counter ? x : y;
  const keep = newer.counter - floor;
  if (keep === newer.values.length) return newer;
  return { actor: newer.actor, counter: newer.counter, values: newer.values.slice(0, keep) };
}

/** A new dot at `actor`, one past the highest counter the set has seen for it. */
function event<V>(set: DvvSet<V>, actor: ActorId, value: V): DvvSet<V> {
  const entries = set.entries;
  let index = 0;
  while (index < entries.length && (entries[index] as DvvEntry<V>).actor < actor) index++;
  const existing = entries[index];
  const result = entries.slice();
  if (existing !== undefined && existing.actor === actor) {
    if (existing.counter >= Number.MAX_SAFE_INTEGER) throw new Error(`counter of actor ${actor} overflowed`);
    result[index] = { actor, counter: existing.counter + 1, values: [value, ...existing.values] };
  } else {
    result.splice(index, 0, { actor, counter: 1, values: [value] });
  }
  return { entries: result };
}

/** The causal context of a set: its version vector (what a client gets back with a read). */
export function join<V>(c: DvvSet<V>): VersionVector {
  return c.entries.map((e) => [e.actor, e.counter] as const);
}

/** All values (siblings) currently held: by actor, then newest first. */
export function values<V>(c: DvvSet<V>): V[] {
  return c.entries.flatMap((e) => e.values);
}

export function valueCount<V>(c: DvvSet<V>): number {
  let count = 0;
  for (const e of c.entries) count += e.values.length;
  return count;
}

/** true when a's history includes everything in b's (version vectors, pointwise >=). */
export function descends(a: VersionVector, b: VersionVector): boolean {
  let i = 0;
  for (const [actor, counter] of b) {
    while (i < a.length && (a[i] as readonly [ActorId, number])[0] < actor) i++;
    const mine = a[i];
    if (mine === undefined || mine[0] !== actor || mine[1] < counter) return false;
  }
  return true;
}

/**
 * Drops from c every value whose dot the context covers (used for a delete with a context /
 * for pruning). Keeps the counters: they are neither dropped nor raised to the context's, so
 * the result claims no history it did not already have.
 */
export function discard<V>(c: DvvSet<V>, context: VersionVector): DvvSet<V> {
  assertValid(versionVectorProblem(context), "context");
  let changed = false;
  let k = 0;
  const entries = c.entries.map((e) => {
    while (k < context.length && (context[k] as readonly [ActorId, number])[0] < e.actor) k++;
    const pair = context[k];
    const covered = pair !== undefined && pair[0] === e.actor ? pair[1] : 0;
    // Values are newest first, so the uncovered ones (dots above `covered`) are a prefix.
    const keep = Math.min(e.values.length, Math.max(0, e.counter - covered));
    if (keep === e.values.length) return e;
    changed = true;
    return { actor: e.actor, counter: e.counter, values: e.values.slice(0, keep) };
  });
  return changed ? { entries } : c;
}

/**
 * Asserts the structural invariants (sorted unique actors, counters >= 1, values.length <=
 * counter); throws an Error (a bug or corrupt data) otherwise.
 */
export function assertValidDvvSet<V>(c: DvvSet<V>): void {
  assertValid(dvvSetProblem(c), "DVV set");
}

function assertValid(problem: string | undefined, what: string): void {
  if (problem !== undefined) throw new Error(`invalid ${what}: ${problem}`);
}
