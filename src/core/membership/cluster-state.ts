import { RingkvError } from "../../errors.js";

/** Another node sent a cluster state that is not well formed (or, merged, not consistent). */
export class BadClusterStateError extends RingkvError {
  readonly code = "bad_cluster_state";
  constructor(message: string) {
    super(`bad cluster state: ${message}`);
  }
}

/**
 * The cluster state every node gossips: members with their ring membership state and liveness
 * counters, and the ring. Merging two states is a join (commutative, associative, idempotent),
 * so nodes that exchange states in any order converge to the same state.
 */
export type MembershipState = "joining" | "active" | "leaving" | "left";

/** Tie-break order when two changes to a member's state carry the same version. */
const STATE_RANK: Record<MembershipState, number> = { joining: 0, active: 1, leaving: 2, left: 3 };

export interface MemberRecord {
  readonly id: string;
  /** Inter-node address ("host:port"). */
  readonly listen: string;
  /** Client HTTP address ("host:port"). */
  readonly http: string;
  /**
   * The node's --zone (failure domain), set when it starts like its addresses; absent in records
   * of nodes without a zone or that predate zones.
   */
  readonly zone?: string;
  readonly state: MembershipState;
  /** Bumped by whoever changes `state` (the node itself or the claimant); the higher version wins. */
  readonly stateVersion: number;
  /** Bumped each time the node process starts; a restarted node's heartbeats start over. */
  readonly generation: number;
  /** Bumped by the node on every gossip tick; (generation, heartbeat) is its liveness clock. */
  readonly heartbeat: number;
  /** What the node stores, as it last reported (travels with the liveness fields). */
  readonly load: MemberLoad;
  /** The node's progress receiving partitions for a pending ring (travels with the liveness fields). */
  readonly transfer: TransferProgress;
  /**
   * The ring version the node has adopted (travels with the liveness fields). A node gaining a
   * partition streams it from a source only once the source knows the pending ring, so every
   * later write the source takes also goes to the gaining node.
   */
  readonly ringVersion: number;
  /**
   * Bumped by the node whenever it changes one of its own descriptive fields (listen, http, load,
   * transfer, ringVersion); (generation, infoVersion) orders them. Heartbeats then travel alone,
   * as [id, generation, heartbeat], and the whole record only when it changed (gossip-digest.ts).
   * 0 in records from nodes that predate it: those fields then travel with the liveness fields.
   */
  readonly infoVersion: number;
}

export interface TransferProgress {
  /** The ring version whose `next` owners this node holds all its partitions of (0: none yet). */
  version: number;
  /** Partitions this node still has to receive for the pending ring. */
  remaining: number;
  /** Keys and bytes received so far for the pending ring. */
  keys: number;
  bytes: number;
}

export const NO_TRANSFER: TransferProgress = Object.freeze({ version: 0, remaining: 0, keys: 0, bytes: 0 });

export interface MemberLoad {
  /** Keys in its objects store. */
  keys: number;
  /** Hints it holds for other nodes. */
  hints: number;
  /** Bytes its storage uses on disk. */
  diskBytes: number;
}

export const NO_LOAD: MemberLoad = Object.freeze({ keys: 0, hints: 0, diskBytes: 0 });

export interface RingState {
  /** Bumped by the claimant at each ownership change; the highest version wins. */
  readonly version: number;
  /** Who computed this ring. */
  readonly claimant: string;
  /** owners[p]: the primary owner of partition p. Reads go to the home replicas of this ring. */
  readonly owners: readonly string[];
  /**
   * While ownership moves: the owners to come. Writes reach the home replicas of both; nodes
   * gaining a partition stream it from its current replicas; once every gaining node reported
   * (MemberRecord.transfer.version) that it holds its new partitions, the claimant makes `next`
   * the owners. Null when no change is in progress.
   */
  readonly next: readonly string[] | null;
}

export interface ClusterState {
  /** Sorted by id. */
  readonly members: readonly MemberRecord[];
  readonly ring: RingState | null;
}

export function emptyClusterState(): ClusterState {
  return { members: [], ring: null };
}

/**
 * The newer of two records of one member, field group by field group: state by stateVersion,
 * liveness by (generation, heartbeat), the descriptive fields by (generation, infoVersion) (on a
 * tie, from the record with the newer liveness, as nodes without infoVersion send them).
 */
export function mergeMember(a: MemberRecord, b: MemberRecord): MemberRecord {
  const stateSource = compareState(a, b) >= 0 ? a : b;
  const liveSource = compareLiveness(a, b) >= 0 ? a : b;
  const info = compareInfo(a, b);
  const infoSource = info > 0 ? a : info < 0 ? b : liveSource;
  if (stateSource === liveSource && liveSource === infoSource) return stateSource;
  const { zone: _stateZone, ...stateFields } = stateSource;
  return {
    ...stateFields,
    ...(infoSource.zone === undefined ? {} : { zone: infoSource.zone }),
    generation: liveSource.generation,
    heartbeat: liveSource.heartbeat,
    listen: infoSource.listen,
    http: infoSource.http,
    load: infoSource.load,
    transfer: infoSource.transfer,
    ringVersion: infoSource.ringVersion,
    infoVersion: infoSource.infoVersion,
  };
}

/** Orders two records' descriptive fields: (generation, infoVersion). */
export function compareInfo(
  a: Pick<MemberRecord, "generation" | "infoVersion">,
  b: Pick<MemberRecord, "generation" | "infoVersion">,
): number {
  if (a.generation !== b.generation) return a.generation - b.generation;
  return a.infoVersion - b.infoVersion;
}

/** Orders two records' membership state: stateVersion, then the state's rank. */
export function compareState(
  a: Pick<MemberRecord, "stateVersion" | "state">,
  b: Pick<MemberRecord, "stateVersion" | "state">,
): number {
  if (a.stateVersion !== b.stateVersion) return a.stateVersion - b.stateVersion;
  return STATE_RANK[a.state] - STATE_RANK[b.state];
}

export function stateRank(state: MembershipState): number {
  return STATE_RANK[state];
}

/** The state of a rank (stateRank's inverse), or undefined for a number that is none. */
export function stateOfRank(rank: number): MembershipState | undefined {
  return (Object.keys(STATE_RANK) as MembershipState[]).find((s) => STATE_RANK[s] === rank);
}

export function compareLiveness(
  a: Pick<MemberRecord, "generation" | "heartbeat">,
  b: Pick<MemberRecord, "generation" | "heartbeat">,
): number {
  if (a.generation !== b.generation) return a.generation - b.generation;
  return a.heartbeat - b.heartbeat;
}

/** Total order on rings: version, then claimant id, then owners; the greater one wins a merge. */
export function compareRings(a: RingState | null, b: RingState | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  if (a.version !== b.version) return a.version - b.version;
  if (a.claimant !== b.claimant) return a.claimant < b.claimant ? -1 : 1;
  const ak = `${a.owners.join(",")}>${a.next?.join(",") ?? ""}`;
  const bk = `${b.owners.join(",")}>${b.next?.join(",") ?? ""}`;
  return ak === bk ? 0 : ak < bk ? -1 : 1;
}

export function mergeClusterStates(a: ClusterState, b: ClusterState): ClusterState {
  const byId = new Map<string, MemberRecord>();
  for (const m of a.members) byId.set(m.id, m);
  for (const m of b.members) {
    const mine = byId.get(m.id);
    byId.set(m.id, mine === undefined ? m : mergeMember(mine, m));
  }
  const members = [...byId.values()].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  const ring = compareRings(a.ring, b.ring) >= 0 ? a.ring : b.ring;
  return { members, ring };
}

/** Replaces (or adds) one member record, keeping the list sorted. */
export function withMember(state: ClusterState, record: MemberRecord): ClusterState {
  const members = state.members.filter((m) => m.id !== record.id);
  members.push(record);
  members.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  return { members, ring: state.ring };
}

export function findMember(state: ClusterState, id: string): MemberRecord | undefined {
  return state.members.find((m) => m.id === id);
}
