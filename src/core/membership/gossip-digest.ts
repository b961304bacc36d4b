/**
 * Digest gossip: what two nodes exchange so that each ends up with the newer of every member
 * record, without sending every record every time. A full cluster state is about 210 bytes per
 * member (1000 members: 210 KB per message, 6 MB/s per node at the default interval and fanout),
 * while between two gossip rounds almost nothing but heartbeats changes. So:
 *
 * 1. the initiator sends a digest: per member [id, generation, heartbeat, infoVersion,
 *    stateVersion, state rank], and its ring's [version, claimant, key];
 * 2. the peer takes the heartbeats that are newer in the digest, and answers with its newer
 *    heartbeats (as [id, generation, heartbeat]), its whole records where their state or
 *    descriptive fields are newer or missing on the initiator, its ring if newer, and the ids
 *    (and the ring) it wants because the initiator's are newer;
 * 3. the initiator takes the answer and, only if something was wanted, pushes those records.
 *
 * Everything here is pure; the Gossiper does the messaging. With the default filter merging is
 * mergeClusterStates', so the outcome is the same join as exchanging whole states; a node passes
 * a FactScreen (peer-facts.ts) that refuses what the sender may not assert.
 */
import { createHash } from "node:crypto";
import {
  BadClusterStateError,
  type ClusterState,
  compareInfo,
  compareLiveness,
  compareRings,
  compareState,
  type MemberRecord,
  mergeMember,
  type RingState,
  stateOfRank,
  stateRank,
} from "./cluster-state.js";

/**
 * How received facts are merged: each received record against ours, each received heartbeat,
 * each newer ring. `trustAll` merges everything (the plain join); a node screens what a peer may
 * assert with a FactScreen (peer-facts.ts).
 */
export interface FactFilter {
  /** The record to hold, given ours (undefined: unknown member) and a received one; undefined: no change. */
  record(ours: MemberRecord | undefined, theirs: MemberRecord): MemberRecord | undefined;
  /** The heartbeat to take (higher or lower) for a member we hold at the received generation; undefined: none. */
  heartbeat(ours: MemberRecord, heartbeat: number): number | undefined;
  /** Whether to take a ring newer than ours. */
  ring(ours: RingState | null, theirs: RingState): boolean;
}

export const trustAll: FactFilter = {
  record: (ours, theirs) => (ours === undefined ? theirs : mergeMember(ours, theirs)),
  heartbeat: (ours, heartbeat) => (heartbeat > ours.heartbeat ? heartbeat : undefined),
  ring: () => true,
};

/** [id, generation, heartbeat, infoVersion, stateVersion, state rank] */
export type DigestEntry = readonly [string, number, number, number, number, number];
/** [version, claimant, key]: the key tells two rings of one version and claimant apart. */
export type RingDigest = readonly [number, string, string];
/** [id, generation, heartbeat] */
export type Heartbeat = readonly [string, number, number];

export interface GossipDigest {
  entries: DigestEntry[];
  ring: RingDigest | null;
  /**
   * True: the entries are a selection (partialDigestOf), so a member left out is not one the
   * initiator lacks and the peer sends no record for it. Absent or false: every member is listed.
   */
  partial?: boolean;
}

/** Which members a partial digest lists (see partialDigestOf). */
export interface DigestSelection {
  /** This exchange's share of the members: those whose index modulo `slices` is `slice`. */
  slice: number;
  slices: number;
  /** Listed whatever their slice: this node itself, members whose record changed lately. */
  always: ReadonlySet<string>;
}

/** The peer's answer to a digest (step 2). */
export interface DigestAnswer {
  heartbeats: Heartbeat[];
  records: MemberRecord[];
  ring: RingState | null;
  /** Members whose record the initiator has newer (or the peer lacks): push them. */
  want: string[];
  wantRing: boolean;
}

/** Records and ring the initiator pushes (step 3). */
export interface GossipPush {
  records: MemberRecord[];
  ring: RingState | null;
}

export function digestOf(state: ClusterState): GossipDigest {
  return {
    entries: state.members.map((m) => [
      m.id,
      m.generation,
      m.heartbeat,
      m.infoVersion,
      m.stateVersion,
      stateRank(m.state),
    ]),
    ring: ringDigest(state.ring),
  };
}

/**
 * A digest of part of the members: one slice of them plus `always`. A node that sends each of
 * its round's exchanges a different slice still lists every member once per round, instead of
 * once per exchange, so its digests cost 1/fanout of full ones; the members that changed lately
 * (a join, a leave, a restart) go in every digest, so news spreads at the full fanout. What the
 * slices leave out reaches the peer through other exchanges and rounds (rotate `slice`).
 */
export function partialDigestOf(state: ClusterState, selection: DigestSelection): GossipDigest {
  const slices = Math.max(1, selection.slices);
  const slice = ((selection.slice % slices) + slices) % slices;
  const entries: DigestEntry[] = [];
  state.members.forEach((m, i) => {
    if (i % slices !== slice && !selection.always.has(m.id)) return;
    entries.push([m.id, m.generation, m.heartbeat, m.infoVersion, m.stateVersion, stateRank(m.state)]);
  });
  return { entries, ring: ringDigest(state.ring), partial: true };
}

const ringKeys = new WeakMap<RingState, string>();

export function ringDigest(ring: RingState | null): RingDigest | null {
  if (ring === null) return null;
  let key = ringKeys.get(ring);
  if (key === undefined) {
    key = createHash("sha256")
      .update(`${ring.owners.join(",")}>${ring.next?.join(",") ?? ""}`)
      .digest("hex")
      .slice(0, 16);
    ringKeys.set(ring, key);
  }
  return [ring.version, ring.claimant, key];
}

/**
 * Step 2, on the peer: its state with the digest's newer heartbeats taken, and its answer.
 * A heartbeat is taken only for the generation the peer already has a record of; a newer
 * generation comes with a newer info version, so the whole record is wanted instead.
 */
export function answerDigest(
  mine: ClusterState,
  theirs: GossipDigest,
  filter: FactFilter = trustAll,
  news: ReadonlySet<string> = new Set(),
): { state: ClusterState; answer: DigestAnswer } {
  const heartbeats: Heartbeat[] = [];
  const records: MemberRecord[] = [];
  const want: string[] = [];
  let members: MemberRecord[] | undefined;
  const mentioned = new Set<string>();
  const index = new Map(mine.members.map((m, i) => [m.id, i]));
  for (const [id, generation, heartbeat, infoVersion, stateVersion, rank] of theirs.entries) {
    mentioned.add(id);
    const i = index.get(id);
    const record = i === undefined ? undefined : mine.members[i];
    if (i === undefined || record === undefined) {
      want.push(id);
      continue;
    }
    const state = stateOfRank(rank) ?? "joining";
    const stateOrder = compareState(record, { stateVersion, state });
    const infoOrder = compareInfo(record, { generation, infoVersion });
    const liveOrder = compareLiveness(record, { generation, heartbeat });
    if (stateOrder > 0 || infoOrder > 0) records.push(record);
    else if (liveOrder > 0) heartbeats.push([id, record.generation, record.heartbeat]);
    if (stateOrder < 0 || infoOrder < 0) want.push(id);
    // The filter decides on any other heartbeat of the same generation (a node's own lower one
    // may replace a planted one); the plain merge takes only a higher one.
    const taken =
      generation === record.generation && heartbeat !== record.heartbeat
        ? filter.heartbeat(record, heartbeat)
        : undefined;
    if (taken !== undefined) {
      members ??= [...mine.members];
      members[i] = { ...record, heartbeat: taken };
    }
  }
  // A full digest that leaves a member out lacks it; a partial one only did not list it, so
  // only the peer's news (`news`: members that joined, restarted or changed state lately) goes
  // back unasked, which keeps the pull half of push-pull as fast for news as full digests are.
  for (const record of mine.members)
    if (!mentioned.has(record.id) && (theirs.partial !== true || news.has(record.id))) records.push(record);
  const ours = ringDigest(mine.ring);
  const order = compareRingDigests(ours, theirs.ring);
  const ringsDiffer = order === 0 && differs(ours, theirs.ring);
  return {
    state: members === undefined ? mine : { members, ring: mine.ring },
    answer: {
      heartbeats,
      records,
      ring: order > 0 || ringsDiffer ? mine.ring : null,
      want,
      wantRing: order < 0 || ringsDiffer,
    },
  };
}

/** Step 3, on the initiator: its state once the peer's answer is taken. */
export function applyAnswer(
  mine: ClusterState,
  answer: DigestAnswer,
  filter: FactFilter = trustAll,
): ClusterState {
  return mergeRecords(withHeartbeats(mine, answer.heartbeats, filter), answer.records, answer.ring, filter);
}

/**
 * Step 3, on the initiator: what to push from its current state (undefined: nothing), given
 * the digest it sent and the answer. A pushed ring may name members the peer has never heard
 * of (the initiator may have learnt them after sending its digest): their records go with it.
 * The peer knows every member the digest mentioned and it did not ask for, and those it sent.
 */
export function pushFor(
  mine: ClusterState,
  sent: GossipDigest,
  answer: DigestAnswer,
): GossipPush | undefined {
  if (answer.want.length === 0 && !answer.wantRing) return undefined;
  const wanted = new Set(answer.want);
  const ring = answer.wantRing ? mine.ring : null;
  if (ring !== null) {
    const known = new Set(sent.entries.map(([id]) => id));
    for (const id of answer.want) known.delete(id);
    for (const record of answer.records) known.add(record.id);
    for (const id of [...ring.owners, ...(ring.next ?? [])]) if (!known.has(id)) wanted.add(id);
  }
  return { records: mine.members.filter((m) => wanted.has(m.id)), ring };
}

/** Merges pushed records and ring into a state (also a whole state, from a node that predates digests). */
export function applyPush(mine: ClusterState, push: GossipPush, filter: FactFilter = trustAll): ClusterState {
  return mergeRecords(mine, push.records, push.ring, filter);
}

/** mergeClusterStates(mine, { members: records, ring }), each fact through `filter`. */
function mergeRecords(
  mine: ClusterState,
  records: readonly MemberRecord[],
  ring: RingState | null,
  filter: FactFilter,
): ClusterState {
  if (records.length === 0 && ring === null) return mine;
  const byId = new Map(mine.members.map((m) => [m.id, m]));
  let changed = false;
  for (const record of records) {
    const next = filter.record(byId.get(record.id), record);
    if (next === undefined || next === byId.get(record.id)) continue;
    byId.set(record.id, next);
    changed = true;
  }
  const takeRing = ring !== null && compareRings(ring, mine.ring) > 0 && filter.ring(mine.ring, ring);
  if (!changed && !takeRing) return mine;
  const members = changed
    ? [...byId.values()].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))
    : mine.members;
  const merged: ClusterState = { members, ring: takeRing ? ring : mine.ring };
  if (merged.ring !== null && merged.ring !== mine.ring) {
    const ids = new Set(merged.members.map((m) => m.id));
    for (const owner of new Set([...merged.ring.owners, ...(merged.ring.next ?? [])])) {
      if (!ids.has(owner)) throw new BadClusterStateError(`ring owner ${owner} is not a member`);
    }
  }
  return merged;
}

/** The state with newer heartbeats (same generation) applied; unknown members are ignored. */
function withHeartbeats(
  state: ClusterState,
  heartbeats: readonly Heartbeat[],
  filter: FactFilter,
): ClusterState {
  if (heartbeats.length === 0) return state;
  const index = new Map(state.members.map((m, i) => [m.id, i]));
  let members: MemberRecord[] | undefined;
  for (const [id, generation, heartbeat] of heartbeats) {
    const i = index.get(id);
    if (i === undefined) continue;
    const record = (members ?? state.members)[i] as MemberRecord;
    if (record.generation !== generation || record.heartbeat === heartbeat) continue;
    const taken = filter.heartbeat(record, heartbeat);
    if (taken === undefined) continue;
    members ??= [...state.members];
    members[i] = { ...record, heartbeat: taken };
  }
  return members === undefined ? state : { members, ring: state.ring };
}

/** Orders ring digests as compareRings orders rings, as far as version and claimant tell. */
function compareRingDigests(a: RingDigest | null, b: RingDigest | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  if (a[0] !== b[0]) return a[0] - b[0];
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return 0;
}

/** Same version and claimant but other owners: both sides send their ring and compareRings decides. */
function differs(a: RingDigest | null, b: RingDigest | null): boolean {
  return a !== null && b !== null && a[2] !== b[2];
}
