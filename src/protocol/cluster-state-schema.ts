import { isPeerCounter, PEER_COUNTER_MAX } from "../core/counter-ceiling.js";
import {
  BadClusterStateError,
  type ClusterState,
  type MemberLoad,
  type MemberRecord,
  type MembershipState,
  NO_LOAD,
  NO_TRANSFER,
  type RingState,
  type TransferProgress,
} from "../core/membership/cluster-state.js";
import { ZONE_PATTERN } from "../core/membership/zone.js";

export { BadClusterStateError };

const STATES: readonly MembershipState[] = ["joining", "active", "leaving", "left"];

export interface ClusterStateLimits {
  membersMax: number;
  partitions: number;
}

/**
 * Validates a cluster state received from another node (or read back from disk). Gossip from a
 * buggy or foreign peer must never corrupt what this node believes, so every field is checked.
 */
export function parseClusterState(value: unknown, limits: ClusterStateLimits): ClusterState {
  if (!isRecord(value)) throw new BadClusterStateError("not an object");
  const members = value.members;
  if (!Array.isArray(members)) throw new BadClusterStateError("members is not an array");
  if (members.length > limits.membersMax)
    throw new BadClusterStateError(`more than ${limits.membersMax} members`);
  const parsed = members.map(parseMember);
  const ids = new Set(parsed.map((m) => m.id));
  if (ids.size !== parsed.length) throw new BadClusterStateError("duplicate member ids");
  parsed.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const ring =
    value.ring === null || value.ring === undefined ? null : parseRing(value.ring, limits.partitions);
  if (ring !== null) {
    for (const owner of new Set([...ring.owners, ...(ring.next ?? [])])) {
      if (!ids.has(owner)) throw new BadClusterStateError(`ring owner ${owner} is not a member`);
    }
  }
  return { members: parsed, ring };
}

export function parseMember(value: unknown): MemberRecord {
  if (!isRecord(value)) throw new BadClusterStateError("member is not an object");
  const { id, listen, http, state, stateVersion, generation, heartbeat, load } = value;
  if (typeof id !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(id))
    throw new BadClusterStateError("bad member id");
  if (typeof listen !== "string" || listen.length > 300)
    throw new BadClusterStateError(`member ${id}: bad listen`);
  if (typeof http !== "string" || http.length > 300) throw new BadClusterStateError(`member ${id}: bad http`);
  if (typeof state !== "string" || !(STATES as readonly string[]).includes(state)) {
    throw new BadClusterStateError(`member ${id}: bad state`);
  }
  for (const [name, n] of [
    ["stateVersion", stateVersion],
    ["generation", generation],
    ["heartbeat", heartbeat],
  ] as const) {
    if (!isPeerCounter(n))
      throw new BadClusterStateError(`member ${id}: ${name} is not in 0..${PEER_COUNTER_MAX}`);
  }
  return {
    id,
    listen,
    http,
    ...parseZone(value.zone, id),
    state: state as MembershipState,
    stateVersion: stateVersion as number,
    generation: generation as number,
    heartbeat: heartbeat as number,
    load: parseLoad(load, id),
    transfer: parseTransfer(value.transfer, id),
    ringVersion: parseCount(value.ringVersion, id, "ringVersion"),
    infoVersion: parseCount(value.infoVersion, id, "infoVersion"),
  };
}

/** A record without a zone (no --zone, or a node that predates zones) has none. */
function parseZone(value: unknown, id: string): { zone?: string } {
  if (value === undefined || value === null) return {};
  if (typeof value !== "string" || !ZONE_PATTERN.test(value))
    throw new BadClusterStateError(`member ${id}: bad zone (1..64 of A-Z a-z 0-9 . _ -)`);
  return { zone: value };
}

/** Load is informational; a record from an older node without it reads as zero load. */
function parseLoad(value: unknown, id: string): MemberLoad {
  if (value === undefined || value === null) return NO_LOAD;
  if (!isRecord(value)) throw new BadClusterStateError(`member ${id}: bad load`);
  const field = (name: string): number => {
    const n = value[name];
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0)
      throw new BadClusterStateError(`member ${id}: bad load.${name}`);
    return n;
  };
  return { keys: field("keys"), hints: field("hints"), diskBytes: field("diskBytes") };
}

function parseCount(value: unknown, id: string, name: string): number {
  if (value === undefined || value === null) return 0;
  if (!isPeerCounter(value))
    throw new BadClusterStateError(`member ${id}: ${name} is not in 0..${PEER_COUNTER_MAX}`);
  return value;
}

function parseTransfer(value: unknown, id: string): TransferProgress {
  if (value === undefined || value === null) return NO_TRANSFER;
  if (!isRecord(value)) throw new BadClusterStateError(`member ${id}: bad transfer`);
  // Sizes (keys, bytes) order nothing and only need to be exact; versions and counts are counters.
  const field = (name: string, max = PEER_COUNTER_MAX): number => {
    const n = value[name];
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0 || n > max)
      throw new BadClusterStateError(`member ${id}: bad transfer.${name}`);
    return n;
  };
  return {
    version: field("version"),
    remaining: field("remaining"),
    keys: field("keys", Number.MAX_SAFE_INTEGER),
    bytes: field("bytes", Number.MAX_SAFE_INTEGER),
  };
}

export function parseRing(value: unknown, partitions: number): RingState {
  if (!isRecord(value)) throw new BadClusterStateError("ring is not an object");
  const { version, claimant, owners } = value;
  if (!isPeerCounter(version, 1))
    throw new BadClusterStateError(`ring version is not in 1..${PEER_COUNTER_MAX}`);
  if (typeof claimant !== "string" || claimant.length > 64)
    throw new BadClusterStateError("bad ring claimant");
  const parseOwners = (list: unknown, what: string): string[] => {
    if (!Array.isArray(list) || list.length !== partitions) {
      throw new BadClusterStateError(`ring ${what} must have ${partitions} entries`);
    }
    for (const o of list) {
      if (typeof o !== "string" || o.length === 0 || o.length > 64)
        throw new BadClusterStateError(`bad ring ${what} entry`);
    }
    return list as string[];
  };
  const next = value.next === undefined || value.next === null ? null : parseOwners(value.next, "next");
  return { version, claimant, owners: parseOwners(owners, "owners"), next };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
