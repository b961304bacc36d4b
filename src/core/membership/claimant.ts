import { claim, gainingNodes } from "../ring/index.js";
import type { ClusterState, MemberRecord, RingState } from "./cluster-state.js";
import { zonesOf } from "./zone.js";

export interface RingDecision {
  ring: RingState;
  /** Members whose state the claimant changes with this ring (joining -> active, leaving -> left). */
  memberUpdates: MemberRecord[];
  /**
   * Active members the completed change was planned to give partitions to but did not wait for:
   * down for the join timeout. They catch up when back (anti-entropy, and the old owners' reclaim,
   * which keeps a stale copy until every home replica acknowledged it). Empty otherwise.
   */
  completedWithout?: string[];
}

/**
 * The claimant is the lowest-id member that owns partitions and is up; before any ring exists it
 * is the lowest-id member that is up. Only the claimant changes ownership, so concurrent joins
 * and leaves are folded into one sequence of ring versions instead of racing.
 */
export function claimantOf(state: ClusterState, isUp: (id: string) => boolean): string | undefined {
  const owners = new Set(state.ring?.owners ?? []);
  const candidates = state.members.filter(
    (m) => m.state !== "left" && isUp(m.id) && (state.ring === null || owners.has(m.id)),
  );
  return candidates[0]?.id;
}

/**
 * The members that should own partitions: active ones (up or not: failure detection never
 * changes ownership, outages are transient) and joining ones that are up or already planned in,
 * unless a joining one has been down for the join timeout (`isDead`): a change must not wait for
 * ever on a joiner that died, so it is planned out again. It stays joining (it owns nothing
 * yet, so there is nothing to hand over), and once up it is desired again and planned in afresh.
 * Leaving and left members are planned out.
 */
function desiredOwners(
  state: ClusterState,
  isUp: (id: string) => boolean,
  isDead: (id: string) => boolean,
): string[] {
  const planned = new Set([...(state.ring?.owners ?? []), ...(state.ring?.next ?? [])]);
  return state.members
    .filter(
      (m) =>
        m.state === "active" ||
        (m.state === "joining" && (isUp(m.id) || (planned.has(m.id) && !isDead(m.id)))),
    )
    .map((m) => m.id);
}

/**
 * What the claimant does next, in three steps of ring versions:
 * 1. the wanted owners differ from the planned ones: plan `next` (minimal movement from the
 *    current owners, src/core/ring), or re-plan it if membership changed again meanwhile;
 * 2. while `next` is pending, nothing, until every node that gains a partition reported holding
 *    its new partitions for this version;
 * 3. then `next` becomes the owners: joiners become active, leaving nodes left.
 * A joiner that dies while planned in is planned out once `isDead` says so (down for the join
 * timeout, as this node's failure detector sees it), and step 1 re-plans without it. An *active*
 * member that dies while planned to gain partitions is not waited for either (step 2): it already
 * owns partitions it cannot serve while down, so the change completes and it becomes an owner of
 * the gained ones too, to be filled when it is back. Nothing is lost meanwhile: the other home
 * replicas hold every key, and an old owner drops its copy only once every home replica
 * acknowledged it (src/cluster/reclaim-decision.ts).
 */
export function decideRing(
  state: ClusterState,
  selfId: string,
  isUp: (id: string) => boolean,
  partitions: number,
  n: number,
  isDead: (id: string) => boolean = () => false,
  replicaCounts: readonly number[] = [n],
): RingDecision | undefined {
  if (claimantOf(state, isUp) !== selfId) return undefined;
  const ring = state.ring;
  if (ring === null) {
    const owners = state.members
      .filter((m) => m.state !== "left" && m.state !== "leaving" && isUp(m.id))
      .map((m) => m.id);
    if (owners.length === 0) return undefined;
    return {
      ring: {
        version: 1,
        claimant: selfId,
        owners: claim(undefined, owners, partitions, n, zonesOf(state.members)),
        next: null,
      },
      memberUpdates: activate(state, new Set(owners)),
    };
  }
  const desired = desiredOwners(state, isUp, isDead);
  if (desired.length === 0) return undefined;
  const planned = ring.next ?? ring.owners;
  if (!sameSet(planned, desired)) {
    const next = claim(ring.owners, desired, partitions, n, zonesOf(state.members));
    const unchanged = next.every((id, p) => id === ring.owners[p]);
    return {
      ring: {
        version: ring.version + 1,
        claimant: selfId,
        owners: ring.owners,
        next: unchanged ? null : next,
      },
      memberUpdates: [],
    };
  }
  if (ring.next === null) {
    // A member that leaves before it was ever planned into the ring owns nothing and has nothing
    // to hand over; no ring change will ever come to mark it left, so it is marked left here.
    const unplanned = leftWithoutPartitions(state, ring.owners);
    return unplanned.length === 0 ? undefined : { ring, memberUpdates: unplanned };
  }
  const version = ring.version;
  const completedWithout: string[] = [];
  // A node entering the first n of a namespace with its own n gains too (n above or below N).
  for (const id of gainingNodes(ring.owners, ring.next, replicaCounts)) {
    const member = state.members.find((m) => m.id === id);
    if ((member?.transfer.version ?? 0) >= version) continue;
    // Only an active member is completed without: a dead joiner was re-planned out in step 1.
    if (member?.state === "active" && isDead(id)) {
      completedWithout.push(id);
      continue;
    }
    return undefined;
  }
  const owners = new Set(ring.next);
  return {
    ring: { version: version + 1, claimant: selfId, owners: ring.next, next: null },
    memberUpdates: [...activate(state, owners), ...leftWithoutPartitions(state, ring.next)],
    ...(completedWithout.length > 0 ? { completedWithout } : {}),
  };
}

/** Leaving members that own no partition in `owners`, as left. */
function leftWithoutPartitions(state: ClusterState, owners: readonly string[]): MemberRecord[] {
  const owning = new Set(owners);
  return state.members
    .filter((m) => m.state === "leaving" && !owning.has(m.id))
    .map((m) => ({ ...m, state: "left" as const, stateVersion: m.stateVersion + 1 }));
}

function activate(state: ClusterState, owners: ReadonlySet<string>): MemberRecord[] {
  return state.members
    .filter((m) => m.state === "joining" && owners.has(m.id))
    .map((m) => ({ ...m, state: "active" as const, stateVersion: m.stateVersion + 1 }));
}

function sameSet(owners: readonly string[], members: readonly string[]): boolean {
  const a = new Set(owners);
  return a.size === new Set(members).size && members.every((m) => a.has(m));
}
