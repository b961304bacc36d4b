import { claim } from "../ring/index.js";
import type { ClusterState, MemberRecord, RingState } from "./cluster-state.js";

export interface RingDecision {
  ring: RingState;
  /** Members whose state the claimant changes with this ring (joining -> active). */
  memberUpdates: MemberRecord[];
}

/**
 * The claimant is the lowest-id member that owns partitions and is up; before any ring exists it
 * is the lowest-id member that is up. Only the claimant changes ownership, so concurrent joins
 * are folded into one sequence of ring versions instead of racing.
 */
export function claimantOf(state: ClusterState, isUp: (id: string) => boolean): string | undefined {
  const owners = new Set(state.ring?.owners ?? []);
  const candidates = state.members.filter(
    (m) => m.state !== "left" && isUp(m.id) && (state.ring === null || owners.has(m.id)),
  );
  return candidates[0]?.id;
}

/**
 * What the claimant does next: when up joining members are not yet in the ring, a new ring
 * version that includes them (minimal movement, see src/core/ring). Failure detection never
 * removes an owner: outages are transient, departures are explicit.
 */
export function decideRing(
  state: ClusterState,
  selfId: string,
  isUp: (id: string) => boolean,
  partitions: number,
  n: number,
): RingDecision | undefined {
  if (claimantOf(state, isUp) !== selfId) return undefined;
  const current = new Set(state.ring?.owners ?? []);
  const joiners = state.members.filter((m) => m.state === "joining" && isUp(m.id) && !current.has(m.id));
  if (joiners.length === 0 && state.ring !== null) return undefined;
  const owners = state.members
    .filter((m) => m.state !== "left" && (current.has(m.id) || joiners.includes(m)))
    .map((m) => m.id);
  if (owners.length === 0) return undefined;
  const ring: RingState = {
    version: (state.ring?.version ?? 0) + 1,
    claimant: selfId,
    owners: claim(state.ring?.owners, owners, partitions, n),
  };
  const memberUpdates = state.members
    .filter((m) => m.state === "joining" && owners.includes(m.id))
    .map((m) => ({ ...m, state: "active" as const, stateVersion: m.stateVersion + 1 }));
  return { ring, memberUpdates };
}
