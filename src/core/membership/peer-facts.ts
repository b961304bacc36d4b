/**
 * Which membership facts a node takes from a peer. Gossip is epidemic: a record reaches us from
 * whoever relayed it, and a plain merge (cluster-state.ts) takes the newest of everything, so
 * any one peer could mark a live node left, repoint its address, or freeze its liveness with a
 * huge heartbeat. Here the merge is screened by who says what:
 *
 * - about itself, the sender is the authority: its record is merged as gossip always merged it
 *   (counters are bounded by the schema), and where our copy is ahead of what it says about its
 *   own liveness (a higher generation, or a heartbeat ahead by more than reordering explains),
 *   ours was planted by someone else and the sender's own replaces it;
 * - about a member we never heard of, anyone: joins spread epidemically;
 * - about another member we know, a relayer may pass on its liveness within bounds (heartbeats
 *   no faster than any node ticks, a new generation or address only once the member is down for
 *   us: a live member announces those itself) and only the state changes others make
 *   legitimately: the claimant's joining -> active and leaving -> left, and, once the member is
 *   down for us, leaving or left (a removed dead node, or a leave it announced before dying);
 * - about us, nobody else decides anything but the claimant's joining -> active and leaving ->
 *   left, and a removal decided about an earlier run of ours (a generation older than this one:
 *   we were removed while down and learn it on restart);
 * - a ring, from anyone, but never more than a bounded step of versions above ours.
 *
 * Everything is pure: the Gossiper passes the failure detector's view and the time.
 */
import {
  compareInfo,
  compareState,
  type MemberRecord,
  type MembershipState,
  mergeMember,
  type RingState,
} from "./cluster-state.js";

/**
 * How far our copy of a member's heartbeat may be ahead of what the member itself says before its
 * own replaces ours: its concurrent messages (a digest, an answer) may arrive a round or two out
 * of order; more than that, and the heartbeat was planted by a relayer.
 */
export const OWN_HEARTBEAT_REORDER_MAX = 3;

/** Why a fact was refused (or, for heartbeat_step, clamped): the `reason` label of the metric. */
export type FactRefusalReason =
  | "self_record"
  | "relayed_state"
  | "state_step"
  | "relayed_address"
  | "relayed_generation"
  | "generation_step"
  | "heartbeat_step"
  | "ring_version_step";

export const FACT_REFUSAL_REASONS: readonly FactRefusalReason[] = [
  "self_record",
  "relayed_state",
  "state_step",
  "relayed_address",
  "relayed_generation",
  "generation_step",
  "heartbeat_step",
  "ring_version_step",
];

export interface FactRefusal {
  reason: FactRefusalReason;
  /** The member the fact was about (the ring's claimant for a ring). */
  member: string;
}

/** A node's values are in the option table (src/config/tunable-table.ts). */
export interface PeerFactBounds {
  /** A relayed state change more than this many state versions above ours is refused. */
  stateVersionStepMax: number;
  /** A relayed new generation (of a member down for us) more than this above ours is refused. */
  generationStepMax: number;
  /** Relayed heartbeats of a member may advance at most this fast since we last saw them advance. */
  heartbeatsPerSecondMax: number;
  /** Relayed heartbeats may lead that pace by this many. */
  heartbeatSlack: number;
  /** A ring more than this many versions above ours is refused. */
  ringVersionStepMax: number;
}

export interface PeerFactContext {
  selfId: string;
  /** Who sent the facts, as the transport authenticated it (undefined: not known). */
  senderId: string | undefined;
  nowMs: number;
  /** Whether our failure detector sees the member as down. */
  isDown(id: string): boolean;
  /** When we last saw the member's liveness counters advance (undefined: never). */
  advancedAtMs(id: string): number | undefined;
  bounds: PeerFactBounds;
}

/** Screens facts as they are merged; collects what it refused and whose liveness it reset. */
export class FactScreen {
  readonly refusals: FactRefusal[] = [];
  /** Members whose liveness counters went back (their own record replaced a planted one). */
  readonly livenessReset: string[] = [];

  constructor(private readonly ctx: PeerFactContext) {}

  /** The record to hold for a member, given ours and a received one (undefined: no change). */
  record(ours: MemberRecord | undefined, theirs: MemberRecord): MemberRecord | undefined {
    const { selfId, senderId } = this.ctx;
    if (ours === undefined) return theirs.id === selfId ? undefined : theirs;
    if (theirs.id === selfId) return this.aboutUs(ours, theirs);
    if (theirs.id === senderId) return this.ownRecord(ours, theirs);
    return this.relayed(ours, theirs);
  }

  /** The heartbeat to take from a received [id, generation, heartbeat] at our generation of it. */
  heartbeat(ours: MemberRecord, heartbeat: number): number | undefined {
    if (ours.id === this.ctx.senderId && ours.id !== this.ctx.selfId) {
      if (heartbeat > ours.heartbeat) return heartbeat;
      if (heartbeat >= ours.heartbeat - OWN_HEARTBEAT_REORDER_MAX) return undefined;
      this.livenessReset.push(ours.id);
      return heartbeat;
    }
    if (heartbeat <= ours.heartbeat) return undefined;
    if (ours.id === this.ctx.selfId) return this.refuse("self_record", ours.id);
    return this.relayedHeartbeat(ours, heartbeat);
  }

  /** Whether to take a ring that is newer than ours. */
  ring(ours: RingState | null, theirs: RingState): boolean {
    if (theirs.version - (ours?.version ?? 0) <= this.ctx.bounds.ringVersionStepMax) return true;
    this.refuse("ring_version_step", theirs.claimant);
    return false;
  }

  private aboutUs(ours: MemberRecord, theirs: MemberRecord): MemberRecord | undefined {
    if (compareState(theirs, ours) <= 0) return undefined;
    const removedEarlier = theirs.state === "left" && theirs.generation < ours.generation;
    if (claimantTransition(ours.state, theirs.state) || removedEarlier) {
      return { ...ours, state: theirs.state, stateVersion: theirs.stateVersion };
    }
    return this.refuse("self_record", ours.id);
  }

  private ownRecord(ours: MemberRecord, theirs: MemberRecord): MemberRecord | undefined {
    const merged = mergeMember(ours, theirs);
    const planted =
      ours.generation > theirs.generation ||
      (ours.generation === theirs.generation &&
        ours.heartbeat > theirs.heartbeat + OWN_HEARTBEAT_REORDER_MAX);
    if (!planted) return merged === ours ? undefined : merged;
    this.livenessReset.push(ours.id);
    return withLivenessAndInfo(merged, theirs);
  }

  private relayed(ours: MemberRecord, theirs: MemberRecord): MemberRecord | undefined {
    const id = ours.id;
    const down = this.ctx.isDown(id);
    let next = ours;
    if (compareState(theirs, ours) > 0) {
      if (theirs.stateVersion - ours.stateVersion > this.ctx.bounds.stateVersionStepMax) {
        this.refuse("state_step", id);
      } else if (
        claimantTransition(ours.state, theirs.state) ||
        (down && (theirs.state === "leaving" || theirs.state === "left"))
      ) {
        next = { ...next, state: theirs.state, stateVersion: theirs.stateVersion };
      } else {
        this.refuse("relayed_state", id);
      }
    }
    if (theirs.generation !== ours.generation) {
      if (theirs.generation < ours.generation) return changed(next, ours);
      // A new generation brings its own heartbeats and descriptive fields (addresses may differ):
      // a live member announces its restart itself; a relayer may tell us of one we lost.
      if (!down) {
        this.refuse("relayed_generation", id);
        return changed(next, ours);
      }
      if (theirs.generation - ours.generation > this.ctx.bounds.generationStepMax) {
        this.refuse("generation_step", id);
        return changed(next, ours);
      }
      const heartbeat = Math.min(theirs.heartbeat, this.heartbeatCap(id, 0));
      if (heartbeat < theirs.heartbeat) this.refuse("heartbeat_step", id);
      return withLivenessAndInfo(next, { ...theirs, heartbeat });
    }
    if (theirs.heartbeat > ours.heartbeat) {
      const heartbeat = this.relayedHeartbeat(ours, theirs.heartbeat);
      if (heartbeat !== undefined) next = { ...next, heartbeat };
    }
    const info = compareInfo(theirs, ours);
    const tieFromLiveness = info === 0 && theirs.heartbeat > ours.heartbeat;
    if (info > 0 || tieFromLiveness) {
      // Within one generation a node never changes its addresses or zone (set when it starts).
      if (theirs.listen !== ours.listen || theirs.http !== ours.http || theirs.zone !== ours.zone) {
        this.refuse("relayed_address", id);
      } else {
        next = withInfo(next, theirs);
      }
    }
    return changed(next, ours);
  }

  private relayedHeartbeat(ours: MemberRecord, heartbeat: number): number | undefined {
    const cap = this.heartbeatCap(ours.id, ours.heartbeat);
    if (heartbeat <= cap) return heartbeat;
    this.refuse("heartbeat_step", ours.id);
    return cap > ours.heartbeat ? cap : undefined;
  }

  /** The highest heartbeat a relayer may report, from `base` when we last saw it advance. */
  private heartbeatCap(id: string, base: number): number {
    const { nowMs, bounds } = this.ctx;
    const since = this.ctx.advancedAtMs(id);
    const elapsedMs = since === undefined ? 0 : Math.max(0, nowMs - since);
    return base + bounds.heartbeatSlack + Math.floor((elapsedMs * bounds.heartbeatsPerSecondMax) / 1000);
  }

  private refuse(reason: FactRefusalReason, member: string): undefined {
    this.refusals.push({ reason, member });
    return undefined;
  }
}

/** State changes another node makes legitimately about a member that is up: the claimant's. */
function claimantTransition(from: MembershipState, to: MembershipState): boolean {
  return (from === "joining" && to === "active") || (from === "leaving" && to === "left");
}

function changed(next: MemberRecord, ours: MemberRecord): MemberRecord | undefined {
  return next === ours ? undefined : next;
}

function withInfo(record: MemberRecord, from: MemberRecord): MemberRecord {
  const { zone: _ours, ...fields } = record;
  return {
    ...fields,
    ...(from.zone === undefined ? {} : { zone: from.zone }),
    listen: from.listen,
    http: from.http,
    load: from.load,
    transfer: from.transfer,
    ringVersion: from.ringVersion,
    infoVersion: from.infoVersion,
  };
}

function withLivenessAndInfo(record: MemberRecord, from: MemberRecord): MemberRecord {
  return { ...withInfo(record, from), generation: from.generation, heartbeat: from.heartbeat };
}
