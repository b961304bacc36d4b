/**
 * Shared generators and checks for the ring tests: ring shapes (Q, n), member id sets whose sort
 * order differs from their creation order, and join/removal histories applied through `claim`.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { claim, ownershipCounts } from "../../../src/core/ring/index.js";

export interface RingShape {
  partitions: number;
  n: number;
}

export const ringShape: fc.Arbitrary<RingShape> = fc.record({
  partitions: fc.constantFrom(256, 1024),
  n: fc.integer({ min: 1, max: 5 }),
});

/** Ids like "n731": string order is not numeric order, so sorting is exercised. */
export function memberIds(size: number): fc.Arbitrary<string[]> {
  return fc
    .uniqueArray(fc.integer({ min: 0, max: 99_999 }), { minLength: size, maxLength: size })
    .map((xs) => xs.map((x) => `n${x}`));
}

export const membersUpTo64: fc.Arbitrary<string[]> = fc.integer({ min: 1, max: 64 }).chain(memberIds);

export interface Step {
  kind: "join" | "remove";
  before: string[];
  after: string[];
  membersBefore: string[];
  membersAfter: string[];
  /** The node that joined or was removed. */
  node: string;
}

export interface History {
  shape: RingShape;
  initial: string[];
  /** true = a node joins, false = the member at `pick` (mod size) is removed. */
  ops: { join: boolean; pick: number }[];
}

export const history: fc.Arbitrary<History> = fc.record({
  shape: ringShape,
  initial: membersUpTo64,
  ops: fc.array(fc.record({ join: fc.boolean(), pick: fc.nat() }), { minLength: 1, maxLength: 20 }),
});

/** Creates the ring and applies the history; joins stop at 64 members, removals at 1. */
export function play(h: History): Step[] {
  const { partitions, n } = h.shape;
  let members = h.initial;
  let owners = claim(undefined, members, partitions, n);
  let fresh = 0;
  const steps: Step[] = [];
  for (const op of h.ops) {
    const join = members.length === 1 || (op.join && members.length < 64);
    const node = join ? `joiner-${fresh++}` : (members[op.pick % members.length] as string);
    const next = join ? [...members, node] : members.filter((m) => m !== node);
    const after = claim(owners, next, partitions, n);
    steps.push({
      kind: join ? "join" : "remove",
      before: owners,
      after,
      membersBefore: members,
      membersAfter: next,
      node,
    });
    owners = after;
    members = next;
  }
  return steps;
}

/** Every member owns floor(Q/S) or ceil(Q/S) partitions and nobody else owns any. */
export function assertBalanced(owners: readonly string[], members: readonly string[]): void {
  const counts = ownershipCounts(owners);
  assert.deepEqual([...counts.keys()].sort(), [...members].sort(), "owners are exactly the members");
  const low = Math.floor(owners.length / members.length);
  for (const [id, count] of counts)
    assert.ok(count === low || count === low + 1, `${id} owns ${count}, not ${low} or ${low + 1}`);
}

export function countOf(owners: readonly string[], id: string): number {
  return ownershipCounts(owners).get(id) ?? 0;
}
