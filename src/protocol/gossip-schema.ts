/**
 * Validation of received digest-gossip messages (core/membership/gossip-digest.ts describes the
 * exchange). Everything is checked before the pure merge functions see it.
 */

import { isPeerCounter, PEER_COUNTER_MAX } from "../core/counter-ceiling.js";
import { BadClusterStateError, stateOfRank } from "../core/membership/cluster-state.js";
import type {
  DigestAnswer,
  DigestEntry,
  GossipDigest,
  GossipPush,
  Heartbeat,
  RingDigest,
} from "../core/membership/gossip-digest.js";
import { parseMember, parseRing } from "./cluster-state-schema.js";

export interface GossipLimits {
  membersMax: number;
  partitions: number;
}

/** Validates a received digest (step 1). */
export function parseDigest(message: Readonly<Record<string, unknown>>, limits: GossipLimits): GossipDigest {
  const entries = list(message.entries, limits.membersMax, "entries").map((value): DigestEntry => {
    if (!Array.isArray(value) || value.length !== 6) throw new BadClusterStateError("bad digest entry");
    const [id, generation, heartbeat, infoVersion, stateVersion, rank] = value as unknown[];
    checkId(id);
    for (const n of [generation, heartbeat, infoVersion, stateVersion]) checkCount(n);
    if (typeof rank !== "number" || stateOfRank(rank) === undefined)
      throw new BadClusterStateError("bad digest state");
    return [id, generation, heartbeat, infoVersion, stateVersion, rank] as DigestEntry;
  });
  const partial = message.partial;
  if (partial !== undefined && typeof partial !== "boolean")
    throw new BadClusterStateError("bad partial flag");
  return partial === true
    ? { entries, ring: parseRingDigest(message.ring), partial: true }
    : { entries, ring: parseRingDigest(message.ring) };
}

/** Validates a received answer (step 2). */
export function parseAnswer(message: Readonly<Record<string, unknown>>, limits: GossipLimits): DigestAnswer {
  const heartbeats = list(message.heartbeats, limits.membersMax, "heartbeats").map((value): Heartbeat => {
    if (!Array.isArray(value) || value.length !== 3) throw new BadClusterStateError("bad heartbeat");
    const [id, generation, heartbeat] = value as unknown[];
    checkId(id);
    checkCount(generation);
    checkCount(heartbeat);
    return [id, generation, heartbeat] as Heartbeat;
  });
  const want = list(message.want, limits.membersMax, "want").map((id) => {
    checkId(id);
    return id;
  });
  if (typeof message.wantRing !== "boolean") throw new BadClusterStateError("bad wantRing");
  return { heartbeats, want, wantRing: message.wantRing, ...parsePush(message, limits) };
}

/** Validates received records and ring (the records of an answer, or a push). */
export function parsePush(message: Readonly<Record<string, unknown>>, limits: GossipLimits): GossipPush {
  const records = list(message.records, limits.membersMax, "records").map(parseMember);
  if (new Set(records.map((r) => r.id)).size !== records.length)
    throw new BadClusterStateError("duplicate member ids");
  const ring =
    message.ring === null || message.ring === undefined ? null : parseRing(message.ring, limits.partitions);
  return { records, ring };
}

function parseRingDigest(value: unknown): RingDigest | null {
  if (value === null || value === undefined) return null;
  if (!Array.isArray(value) || value.length !== 3) throw new BadClusterStateError("bad ring digest");
  const [version, claimant, key] = value as unknown[];
  checkCount(version);
  if (typeof claimant !== "string" || claimant.length > 64 || typeof key !== "string" || key.length > 64)
    throw new BadClusterStateError("bad ring digest");
  return [version, claimant, key] as RingDigest;
}

function list(value: unknown, max: number, what: string): unknown[] {
  if (!Array.isArray(value)) throw new BadClusterStateError(`${what} is not an array`);
  if (value.length > max) throw new BadClusterStateError(`more than ${max} ${what}`);
  return value;
}

function checkId(id: unknown): asserts id is string {
  if (typeof id !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(id))
    throw new BadClusterStateError("bad member id");
}

function checkCount(n: unknown): asserts n is number {
  if (!isPeerCounter(n))
    throw new BadClusterStateError(`counter is not an integer in 0..${PEER_COUNTER_MAX}`);
}
