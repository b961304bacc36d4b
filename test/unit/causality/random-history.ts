/**
 * Random but realistic histories for the DVV set properties, with a reference model.
 *
 * Replicas are the actors (a dot is only ever issued by its own replica, as in the node).
 * Clients read from a random quorum of replicas, keep the context, and later write with it at a
 * random coordinator; replicas sync pairwise in between. Alongside the DVV sets the model keeps
 * the exact causal history: for each replica the set of write ids it has seen, and for each
 * write the set of write ids its context had seen. A value is alive in a history when no write
 * in that history saw it; DVV sets must track this exactly.
 */
import fc from "fast-check";
import {
  type DvvSet,
  emptyDvvSet,
  join,
  sync,
  update,
  type VersionVector,
  values,
} from "../../../src/core/causality/index.js";

// Deliberately unsorted and mixed so that actor ordering is exercised, not just "n1" < "n2".
export const actorPool = ["node-2", "node-10", "b", "A", "é"] as const;

export type Command =
  | { kind: "write"; replica: number; read: number }
  | { kind: "read"; replicas: number[] }
  | { kind: "sync"; from: number; to: number; bothWays: boolean };

export interface HistorySpec {
  replicaCount: number;
  commands: Command[];
}

const index = fc.nat({ max: 1000 });

export const historySpec: fc.Arbitrary<HistorySpec> = fc.record({
  replicaCount: fc.integer({ min: 1, max: actorPool.length }),
  commands: fc.array(
    fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({ kind: fc.constant("write" as const), replica: index, read: index }),
      },
      {
        weight: 3,
        arbitrary: fc.record({
          kind: fc.constant("read" as const),
          replicas: fc.array(index, { minLength: 1, maxLength: 3 }),
        }),
      },
      {
        weight: 3,
        arbitrary: fc.record({
          kind: fc.constant("sync" as const),
          from: index,
          to: index,
          bothWays: fc.boolean(),
        }),
      },
    ),
    { maxLength: 80, size: "medium" },
  ),
});

export interface Read {
  readonly vv: VersionVector;
  readonly seen: ReadonlySet<number>;
}

export interface Write {
  readonly id: number;
  readonly actor: string;
  readonly covers: ReadonlySet<number>;
}

/** A history being played: the DVV sets under test next to the reference model. */
export class History {
  readonly actors: string[];
  readonly states: DvvSet<number>[];
  readonly seen: Set<number>[];
  readonly writes: Write[] = [];
  // Clients may always write blind, with the empty context.
  readonly reads: Read[] = [{ vv: [], seen: new Set() }];

  constructor(replicaCount: number) {
    this.actors = actorPool.slice(0, replicaCount);
    this.states = this.actors.map(() => emptyDvvSet<number>());
    this.seen = this.actors.map(() => new Set<number>());
  }

  apply(command: Command): void {
    const n = this.actors.length;
    if (command.kind === "write") {
      const r = command.replica % n;
      const read = this.reads[command.read % this.reads.length] as Read;
      this.write(r, read);
    } else if (command.kind === "read") {
      this.read(command.replicas.map((r) => r % n));
    } else {
      const from = command.from % n;
      const to = command.to % n;
      this.syncInto(to, from);
      if (command.bothWays) this.syncInto(from, to);
    }
  }

  write(replica: number, read: Read): number {
    const id = this.writes.length;
    const actor = this.actors[replica] as string;
    this.states[replica] = update(this.states[replica] as DvvSet<number>, read.vv, actor, id);
    const seen = this.seen[replica] as Set<number>;
    for (const w of read.seen) seen.add(w);
    seen.add(id);
    this.writes.push({ id, actor, covers: read.seen });
    return id;
  }

  read(replicas: number[]): Read {
    let merged = emptyDvvSet<number>();
    const seen = new Set<number>();
    for (const r of replicas) {
      merged = sync(merged, this.states[r] as DvvSet<number>);
      for (const w of this.seen[r] as Set<number>) seen.add(w);
    }
    const read = { vv: join(merged), seen };
    this.reads.push(read);
    return read;
  }

  syncInto(to: number, from: number): void {
    this.states[to] = sync(this.states[to] as DvvSet<number>, this.states[from] as DvvSet<number>);
    const seen = this.seen[to] as Set<number>;
    for (const w of this.seen[from] as Set<number>) seen.add(w);
  }

  /** Values the model says a replica that has seen `seen` must hold: those no seen write covered. */
  alive(seen: ReadonlySet<number>): number[] {
    const covered = new Set<number>();
    for (const w of seen) for (const c of (this.writes[w] as Write).covers) covered.add(c);
    return [...seen].filter((w) => !covered.has(w)).sort((a, b) => a - b);
  }

  /** The version vector the model says a replica that has seen `seen` must have. */
  expectedVector(seen: ReadonlySet<number>): VersionVector {
    const counts = new Map<string, number>();
    for (const w of seen) {
      const actor = (this.writes[w] as Write).actor;
      counts.set(actor, (counts.get(actor) ?? 0) + 1);
    }
    return [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  allSynced(): DvvSet<number> {
    return this.states.reduce((acc, s) => sync(acc, s), emptyDvvSet<number>());
  }
}

export function play(spec: HistorySpec): History {
  const history = new History(spec.replicaCount);
  for (const command of spec.commands) history.apply(command);
  return history;
}

export function sortedValues(set: DvvSet<number>): number[] {
  return values(set).sort((a, b) => a - b);
}

/** A representation-independent form: the version vector and the sorted (dot, value) triples. */
export function canonical(set: DvvSet<number>): { vv: VersionVector; dots: string[] } {
  const dots: string[] = [];
  for (const e of set.entries) {
    e.values.forEach((v, i) => {
      dots.push(`${JSON.stringify(e.actor)}:${e.counter - i}=${v}`);
    });
  }
  return { vv: join(set), dots: dots.sort() };
}
