import type { MemberRecord } from "../core/membership/cluster-state.js";
import type { LivenessStatus } from "../core/membership/failure-detector.js";

/** What a gaining node knows of the members, for choosing where to take one partition from. */
export interface SourceFacts {
  selfId: string;
  member(id: string): MemberRecord | undefined;
  status(id: string): LivenessStatus;
  downForMs(id: string): number;
  /** A losing replica down this long is read around (--join-timeout-ms). */
  joinTimeoutMs: number;
}

export interface SourceChoice {
  /** The home replicas to read the partition from now: every other one that is up. */
  sources: string[];
  /** Replicas losing the partition that must be read before it counts as received. */
  losing: string[];
  /** Losing replicas down for the join timeout: not waited for, read around. */
  readAround: string[];
  /** Whether the partition can be taken now (every losing replica that counts is a source). */
  ready: boolean;
}

/**
 * Where a gaining node takes partition `home` (its current home replicas) from, given `staying`
 * (its home replicas in the pending ring). Pure: the facts come from the caller.
 *
 * A replica that loses the partition may hold writes no other replica has (one a W=1 client
 * acknowledged, or one a network partition kept from the others), and nothing copies them once
 * it is no longer a home replica: each one must be read, so the transfer waits for one that is
 * unreachable. But not for ever: one down for the join timeout is read around (the other
 * replicas are read; hints and anti-entropy bring the rest when it is back), and a member
 * removed as dead (left) is given up on at once.
 */
export function chooseSources(
  home: readonly string[],
  staying: readonly string[],
  facts: SourceFacts,
): SourceChoice {
  const sources = home.filter((id) => id !== facts.selfId && facts.status(id) === "up");
  const losingAll = home.filter(
    (id) => id !== facts.selfId && !staying.includes(id) && facts.member(id)?.state !== "left",
  );
  const readAround = losingAll.filter(
    (id) => !sources.includes(id) && facts.downForMs(id) >= facts.joinTimeoutMs,
  );
  const losing = losingAll.filter((id) => !readAround.includes(id));
  // Reading around needs someone to read: with no source at all the partition waits.
  const ready = sources.length > 0 && losing.every((id) => sources.includes(id));
  return { sources, losing, readAround, ready };
}
