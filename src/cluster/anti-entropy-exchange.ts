import type { Clock } from "../clock/clock.js";
import type { LocalReplica } from "../coordinator/local-replica.js";
import { values } from "../core/causality/index.js";
import type { ConflictResolution } from "../core/conflict-mode.js";
import { isDeadAt } from "../core/expiry.js";
import {
  causalDigest,
  differingBranches,
  differingSegments,
  segmentOf,
  type TicTacTree,
} from "../core/merkle/index.js";
import {
  decodePeerObject,
  decodeStoredObject,
  encodeStoredObject,
  type StoredObject,
} from "../core/stored-object.js";
import type { Logger } from "../log/logger.js";
import { type MemberClient, peerMessages } from "../protocol/index.js";
import type { StorageEngine } from "../storage/engine.js";
import { objectKey, partitionRange, splitObjectKey } from "../storage/object-key.js";

export interface ExchangeOptions {
  /** Keys compared and repaired in one exchange at most; the rest wait for the next round. */
  keysPerExchangeMax: number;
  /** Differing segments whose keys are listed in one exchange at most. */
  segmentsPerExchangeMax: number;
  /** Keys fetched from (or pushed to) the peer in one request. */
  batchKeysMax: number;
  /** A fetch answer stops adding objects past this many bytes (one large object still fits). */
  batchBytesMax: number;
  requestTimeoutMs: number;
  /** Leaf segments per partition tree (a power of two, 64..65536). */
  treeSegments: number;
}

export interface ExchangeDeps {
  storage: StorageEngine;
  replica: LocalReplica;
  peers: MemberClient;
  clock: Clock;
  logger: Logger;
  /** Tombstones older than this may have been reaped elsewhere: a missing copy is not repaired. */
  tombstoneGraceMs: number;
  /** An object from a peer that does not decode (skipped, never stalling the exchange). */
  onCorrupt: (partition: number, key: Uint8Array) => void;
}

/**
 * Which keys of a partition one tree holds: those of one replica count (core/namespace
 * replica-counts.ts). `n` is sent with the tree messages, absent for the cluster's N (so a node
 * that predates namespace n answers them).
 */
export interface TreeClass {
  readonly n: number | undefined;
  readonly holds: (key: Uint8Array) => boolean;
}

/** Every key in one tree: a cluster with no namespace of another n. */
export const WHOLE_PARTITION: TreeClass = { n: undefined, holds: () => true };

/**
 * One partition's exchange with one peer, for the keys of one replica count: compare trees (branches, then leaves of the branches
 * that differ), list both sides' keys in the differing segments, fetch the peer's objects for
 * the keys whose digests differ in batches, merge, and write the merge wherever it adds
 * something: locally, and back to the peer in one push per batch. Returns the keys repaired.
 */
export async function exchangePartition(
  deps: ExchangeDeps,
  options: ExchangeOptions,
  tree: TicTacTree,
  partition: number,
  peer: string,
  treeClass: TreeClass = WHOLE_PARTITION,
): Promise<number> {
  const request = { timeoutMs: options.requestTimeoutMs };
  const n = treeClass.n === undefined ? {} : { n: treeClass.n };
  const { branches: theirBranches } = await deps.peers.request(
    peer,
    peerMessages.aaeBranches,
    { partition, ...n },
    request,
  );
  const branches = differingBranches(tree.branches(), theirBranches);
  if (branches.length === 0) return 0;
  const { leaves } = await deps.peers.request(
    peer,
    peerMessages.aaeLeaves,
    { partition, branches, ...n },
    request,
  );
  const segments = differingSegments(branches, tree.leaves(branches), leaves).slice(
    0,
    options.segmentsPerExchangeMax,
  );
  const { keys: theirs } = await deps.peers.request(
    peer,
    peerMessages.aaeKeys,
    { partition, segments, ...n },
    request,
  );
  const ours = new Map(
    keysIn(deps.storage, options, partition, new Set(segments), treeClass.holds).map(([k, d]) => [
      Buffer.from(k).toString("hex"),
      d,
    ]),
  );
  const candidates = new Map<string, Uint8Array>();
  for (const [key, digest] of theirs) {
    // A peer's key of another replica count is not this exchange's (the peer may know a
    // namespace's n before this node does): the trees of that count compare it.
    if (!treeClass.holds(key)) continue;
    const id = Buffer.from(key).toString("hex");
    const mine = ours.get(id);
    if (mine === undefined || !Buffer.from(mine).equals(Buffer.from(digest))) candidates.set(id, key);
    ours.delete(id);
  }
  for (const [id] of ours) candidates.set(id, Buffer.from(id, "hex"));
  const keys = [...candidates.values()].slice(0, options.keysPerExchangeMax);
  let repaired = 0;
  while (keys.length > 0) {
    const batch = keys.splice(0, options.batchKeysMax);
    const { items } = await deps.peers.request(
      peer,
      peerMessages.aaeFetch,
      { partition, keys: batch },
      request,
    );
    // The peer stopped at its byte budget: the keys it did not answer go back in line.
    keys.unshift(...batch.slice(items.length));
    if (items.length === 0) break;
    repaired += await repairBatch(deps, partition, peer, items, options.requestTimeoutMs);
  }
  return repaired;
}

/** Merges each fetched object with ours; writes the merge here and pushes it back where it adds something. */
async function repairBatch(
  deps: ExchangeDeps,
  partition: number,
  peer: string,
  items: readonly (readonly [Uint8Array, Uint8Array | null])[],
  timeoutMs: number,
): Promise<number> {
  const conflicts = deps.replica.conflicts;
  const graceStartMs = deps.clock.nowMs() - deps.tombstoneGraceMs;
  const pushes: [Uint8Array, Uint8Array][] = [];
  const merges: Promise<unknown>[] = [];
  let repaired = 0;
  for (const [key, bytes] of items) {
    let theirs: StoredObject | undefined;
    if (bytes !== null) {
      try {
        theirs = decodePeerObject(bytes);
      } catch {
        deps.onCorrupt(partition, key);
        continue;
      }
    }
    let ours: StoredObject | undefined;
    try {
      ours = deps.replica.read(partition, key);
    } catch {
      // Our own copy does not decode: skipped and reported, so the rest of the batch goes on.
      deps.onCorrupt(partition, key);
      continue;
    }
    const merged = mergeOptional(conflicts, ours, theirs);
    if (merged === undefined) continue;
    // A side without the key may have reaped this tombstone: copying it back would undo the
    // reaping, and the reaper on the other side would then chase it forever. A side that holds
    // an older version still gets the tombstone, however old: it is what supersedes that version
    // (a replica that was away longer than the hint window learns of the delete this way).
    // An expired version counts as a tombstone here, as it does for the reaper.
    const oneSideLacksIt = ours === undefined || theirs === undefined;
    if (
      oneSideLacksIt &&
      isDeadAt(merged, deps.clock.nowMs()) &&
      values(merged).every((s) => s.writtenAtMs <= graceStartMs)
    )
      continue;
    let changed = false;
    if (ours === undefined || !conflicts.same(ours, merged)) {
      merges.push(deps.replica.merge(partition, key, merged));
      changed = true;
    }
    if (theirs === undefined || !conflicts.same(theirs, merged)) {
      pushes.push([key, encodeStoredObject(merged)]);
      changed = true;
    }
    if (changed) repaired += 1;
  }
  // Merged together, the local writes share commits instead of waiting for one each.
  await Promise.all(merges);
  if (pushes.length > 0)
    await deps.peers.request(peer, peerMessages.aaePush, { partition, items: pushes }, { timeoutMs });
  return repaired;
}

/** (key, causal digest) of every key of a partition (of one tree) that falls in the given segments, bounded. */
export function keysIn(
  storage: StorageEngine,
  options: Pick<ExchangeOptions, "keysPerExchangeMax" | "treeSegments">,
  partition: number,
  segments: ReadonlySet<number>,
  holds: (key: Uint8Array) => boolean = () => true,
): [Uint8Array, Uint8Array][] {
  const out: [Uint8Array, Uint8Array][] = [];
  for (const [storageKey, bytes] of storage.scan("objects", partitionRange(partition))) {
    const { key } = splitObjectKey(storageKey);
    if (!segments.has(segmentOf(key, options.treeSegments))) continue;
    if (!holds(key)) continue;
    const digest = digestOrUndefined(bytes);
    // An object of ours that does not decode is left out (rebuild() reported it) rather than
    // failing the whole listing; repairBatch skips the key too.
    if (digest === undefined) continue;
    out.push([key, digest]);
    if (out.length >= options.keysPerExchangeMax * 4) break;
  }
  return out;
}

/** This replica's stored objects for some keys, as bytes, up to a byte budget (at least one). */
export function objectsFor(
  storage: StorageEngine,
  partition: number,
  keys: readonly Uint8Array[],
  bytesMax: number,
): [Uint8Array, Uint8Array | null][] {
  const items: [Uint8Array, Uint8Array | null][] = [];
  let bytes = 0;
  for (const key of keys) {
    if (items.length > 0 && bytes >= bytesMax) break;
    const stored = storage.get("objects", objectKey(partition, key));
    items.push([key, stored ?? null]);
    bytes += stored?.length ?? 0;
  }
  return items;
}

/** The causal digest of a stored object's bytes, or undefined when they do not decode. */
export function digestOrUndefined(bytes: Uint8Array): Uint8Array | undefined {
  try {
    return causalDigest(decodeStoredObject(bytes));
  } catch {
    return undefined;
  }
}

function mergeOptional(
  conflicts: ConflictResolution,
  a: StoredObject | undefined,
  b: StoredObject | undefined,
): StoredObject | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return conflicts.merge(a, b);
}
