/**
 * Every message nodes exchange, in one place: its type name, the schema a receiver checks it
 * against, and its reply. A message type name appears nowhere else in the code: senders and
 * handlers name a definition (`peerMessages.kvRead`), the client and the server do the rest.
 *
 * On the wire a request is the map `{ type, ...fields }` and so is its reply (see net/wire.ts for
 * the frame around it); a failure is an error frame whose code is in wire-errors.ts.
 */
import { type ClusterSettings, NODE_ID_PATTERN, validateClusterSettings } from "../config/node-options.js";
import type { VersionVector } from "../core/causality/index.js";
import { versionVectorProblem } from "../core/causality/invariants.js";
import { isConflictMode } from "../core/conflict-mode.js";
import { PEER_COUNTER_MAX } from "../core/counter-ceiling.js";
import type { ClusterState } from "../core/membership/cluster-state.js";
import type { DigestAnswer, GossipDigest, GossipPush } from "../core/membership/gossip-digest.js";
import type { MetadataEntry } from "../core/metadata/entry.js";
import { NAMESPACE_N_MAX } from "../core/namespace/index.js";
import { partitionOf } from "../core/partition.js";
import { decodePeerObject, HEADER_SAFE_PATTERN, type StoredObject } from "../core/stored-object.js";
import { parseClusterState } from "./cluster-state-schema.js";
import { parseAnswer, parseDigest, parsePush } from "./gossip-schema.js";
import {
  AAE_BATCH_KEYS_MAX,
  LIST_BATCH_KEYS_MAX,
  type ProtocolLimits,
  STORED_KEY_BYTES_MAX,
  TRANSFER_BATCH_KEYS_MAX,
} from "./limits.js";
import { parseMetadataEntries, type RefusedMetadataEntry } from "./metadata-schema.js";
import {
  array,
  bool,
  bytes,
  custom,
  finite,
  type Input,
  int,
  nullable,
  type Output,
  object,
  optional,
  refine,
  type Schema,
  string,
  tuple,
} from "./schema.js";

export interface MessageDef<
  Type extends string = string,
  Request extends Schema<unknown, unknown> = Schema<unknown, unknown>,
  Reply extends Schema<unknown, unknown> = Schema<unknown, unknown>,
> {
  readonly type: Type;
  readonly replyType: string;
  readonly request: Request;
  readonly reply: Reply;
}

/** What a sender hands over / a handler receives / a handler returns / a sender gets back. */
export type RequestIn<D extends MessageDef> = Input<D["request"]>;
export type RequestOut<D extends MessageDef> = Output<D["request"]>;
export type ReplyIn<D extends MessageDef> = Input<D["reply"]>;
export type ReplyOut<D extends MessageDef> = Output<D["reply"]>;

function define<
  Type extends string,
  Request extends Schema<unknown, unknown>,
  Reply extends Schema<unknown, unknown>,
>(type: Type, request: Request, replyType: string, reply: Reply): MessageDef<Type, Request, Reply> {
  return { type, request, replyType, reply };
}

const nothing = object({});
const nodeId = string(64, NODE_ID_PATTERN);
const partition = int(0, (l) => l.partitions - 1);
const key = bytes(1, (l) => l.keyBytesMax);
const storedKey = bytes(1, STORED_KEY_BYTES_MAX);
const treeId = int(0, (l) => l.treeSegments - 1);
/**
 * The sender's ring version (ownership fencing, core/ring/ownership.ts); optional, so a node that
 * predates fencing still talks to one that has it (its requests are checked as if it were behind).
 */
const ringVersion = optional(int(0, PEER_COUNTER_MAX));
/**
 * The key's replica count as the sender knows it (its namespace's n); optional, so a node that
 * predates namespace n still talks (the receiver then judges by what it knows).
 */
const replicaCount = optional(int(1, NAMESPACE_N_MAX));
/** Anti-entropy: which replica-count class of a partition's keys (absent: the cluster's N). */
const treeN = optional(int(1, NAMESPACE_N_MAX));

/** A stored object travels as its own encoding (core/stored-object.ts), decoded and checked on arrival. */
const storedObject: Schema<StoredObject, Uint8Array> = custom((value) => {
  if (!(value instanceof Uint8Array)) throw new Error("expected the bytes of a stored object");
  return decodePeerObject(value);
});

const versionVector: Schema<VersionVector> = custom((value) => {
  const problem = versionVectorProblem(value);
  if (problem !== undefined) throw new Error(problem);
  const high = (value as VersionVector).find(([, counter]) => counter > PEER_COUNTER_MAX);
  if (high !== undefined) throw new Error(`counter ${high[1]} exceeds ${PEER_COUNTER_MAX}`);
  return value as VersionVector;
});

const metadataEntries: Schema<(MetadataEntry | RefusedMetadataEntry)[]> = custom((value) =>
  parseMetadataEntries(value),
);

const clusterState: Schema<ClusterState> = custom((value, l) => parseClusterState(value, l));

/** The key's partition must be the one given: a wrong one would file the key where no read looks. */
function keyInPartition(m: { partition: number; key: Uint8Array }, l: ProtocolLimits): string | undefined {
  return partitionOf(m.key, l.partitions) === m.partition ? undefined : "partition does not match key";
}

function keysInPartition(
  m: { partition: number; keys: readonly Uint8Array[] },
  l: ProtocolLimits,
): string | undefined {
  const stray = m.keys.findIndex((k) => partitionOf(k, l.partitions) !== m.partition);
  return stray < 0 ? undefined : `keys[${stray}] is not of partition ${m.partition}`;
}

function clusterSettings(value: unknown): ClusterSettings {
  if (typeof value !== "object" || value === null) throw new Error("no settings");
  const s = value as Record<string, unknown>;
  const count = (name: string): number => {
    const v = s[name];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw new Error(`bad ${name}`);
    return v;
  };
  // A seed from before conflict modes existed runs a causal cluster and does not say so.
  const conflictMode = s.conflictMode ?? "causal";
  if (!isConflictMode(conflictMode)) throw new Error("bad conflictMode");
  return validateClusterSettings({
    n: count("n"),
    r: count("r"),
    w: count("w"),
    partitions: count("partitions"),
    conflictMode,
  });
}

export interface JoinInfo {
  settings: ClusterSettings;
  state: ClusterState;
}

/** A joiner does not know the cluster's partition count yet: the settings in the reply give it. */
const joinInfo: Schema<JoinInfo> = custom((value, l) => {
  const m = value as Record<string, unknown>;
  const settings = clusterSettings(m.settings);
  return {
    settings,
    state: parseClusterState(m.state, { membersMax: l.membersMax, partitions: settings.partitions }),
  };
});

export const peerMessages = {
  /** A replica's copy of a key, or (hintFor) the hints it holds of the key for that home replica. */
  kvRead: define(
    "kv_read",
    refine(object({ partition, key, hintFor: optional(nodeId), ringVersion }), keyInPartition),
    "kv_read_ok",
    object({ object: nullable(storedObject) }),
  ),
  /** Merges a history into a replica's copy; answered once durable. */
  kvReplicate: define(
    "kv_replicate",
    refine(object({ partition, key, object: storedObject, ringVersion, n: replicaCount }), keyInPartition),
    "kv_replicate_ok",
    nothing,
  ),
  /** Stores a history as a hint for a home replica that did not take it; answered once durable. */
  kvHint: define(
    "kv_hint",
    refine(
      object({ target: nodeId, partition, key, object: storedObject, ringVersion, n: replicaCount }),
      keyInPartition,
    ),
    "kv_hint_ok",
    nothing,
  ),
  /** A client write forwarded to a replica of its key, which coordinates it. */
  kvPut: define(
    "kv_put",
    refine(
      object({
        key,
        value: bytes(0, (l) => l.valueBytesMax),
        contentType: string((l) => l.contentTypeBytesMax, HEADER_SAFE_PATTERN),
        deleted: bool,
        writtenAtMs: finite,
        /** The expiry deadline stamped by the node that took the write (core/expiry.ts); absent: none. */
        expiresAtMs: optional(finite),
        context: versionVector,
        // A namespace's n may be above the cluster's N (core/namespace/replica-counts.ts).
        w: int(1, NAMESPACE_N_MAX),
        pw: int(0, NAMESPACE_N_MAX),
        timeoutMs: int(1, (l) => l.timeoutMsMax),
        ringVersion,
        n: replicaCount,
      }),
      // The quorum is bounded by the key's replica count: the one sent, else the cluster's N.
      (m, l) => (Math.max(m.w, m.pw) > (m.n ?? l.n) ? `w above the key's n=${m.n ?? l.n}` : undefined),
    ),
    "kv_put_ok",
    object({ object: storedObject }),
  ),
  /** A whole cluster state, from a node that predates digest gossip; answered with ours. */
  gossip: define("gossip", object({ state: clusterState }), "gossip", object({ state: clusterState })),
  /** Digest gossip, step 1 (core/membership/gossip-digest.ts); the ack is step 2. */
  gossipSyn: define(
    "gossip_syn",
    custom<GossipDigest>((m, l) => parseDigest(m as Record<string, unknown>, l)),
    "gossip_ack",
    custom<DigestAnswer>((m, l) => parseAnswer(m as Record<string, unknown>, l)),
  ),
  /** Digest gossip, step 3: the records the peer asked for. */
  gossipPush: define(
    "gossip_push",
    custom<GossipPush>((m, l) => parsePush(m as Record<string, unknown>, l)),
    "gossip_push_ok",
    nothing,
  ),
  /** A joining node asks a seed for the cluster's settings and state. */
  joinInfo: define("join_info", nothing, "join_info_ok", joinInfo),
  /** Anti-entropy: a partition tree's branch summary. */
  aaeBranches: define(
    "aae_branches",
    object({ partition, n: treeN }),
    "aae_branches_ok",
    object({ branches: bytes(0, 1 << 24) }),
  ),
  /** Anti-entropy: the leaves of some branches. */
  aaeLeaves: define(
    "aae_leaves",
    object({ partition, branches: array(treeId, (l) => l.treeSegments), n: treeN }),
    "aae_leaves_ok",
    object({ leaves: bytes(0, 1 << 24) }),
  ),
  /** Anti-entropy: (key, causal digest) of every key in some segments. */
  aaeKeys: define(
    "aae_keys",
    object({ partition, segments: array(treeId, (l) => l.treeSegments), n: treeN }),
    "aae_keys_ok",
    object({ keys: array(tuple(storedKey, bytes(0, 64)), (l) => l.aaeKeysMax) }),
  ),
  /** Anti-entropy: the root hash of each of these partitions' trees, 8 bytes each, in order. */
  aaeRoots: define(
    "aae_roots",
    object({ partitions: array(partition, (l) => l.partitions), n: treeN }),
    "aae_roots_ok",
    object({ roots: bytes(0, (l) => 8 * l.partitions) }),
  ),
  /**
   * Anti-entropy: a replica's objects for some keys of a partition (null: it has none). The
   * answer may stop early at a byte budget; the keys it left out wait for the next exchange.
   * Objects travel as bytes and are decoded one by one, so one corrupt object is skipped alone.
   */
  aaeFetch: define(
    "aae_fetch",
    refine(object({ partition, keys: array(storedKey, AAE_BATCH_KEYS_MAX) }), keysInPartition),
    "aae_fetch_ok",
    object({
      items: array(tuple(storedKey, nullable(bytes(0, Number.MAX_SAFE_INTEGER))), AAE_BATCH_KEYS_MAX),
    }),
  ),
  /** Anti-entropy: merged histories for a replica that was behind; answered once durable. */
  aaePush: define(
    "aae_push",
    refine(
      object({
        partition,
        items: array(tuple(storedKey, bytes(0, Number.MAX_SAFE_INTEGER)), AAE_BATCH_KEYS_MAX),
      }),
      (m, l) => keysInPartition({ partition: m.partition, keys: m.items.map(([k]) => k) }, l),
    ),
    "aae_push_ok",
    nothing,
  ),
  /**
   * Cluster metadata anti-entropy: the sender's digest; the answer carries the receiver's digest
   * and, when they differ, every entry it holds (src/cluster/metadata).
   */
  metaSync: define(
    "meta_sync",
    object({ digest: string(64) }),
    "meta_sync_ok",
    object({ digest: string(64), entries: metadataEntries }),
  ),
  /** Cluster metadata: entries the sender has (a local change, or what a sync found missing). */
  metaPush: define("meta_push", object({ entries: metadataEntries }), "meta_push_ok", nothing),
  /** Partition transfer: one batch of a partition's objects after a cursor. */
  xferScan: define(
    "xfer_scan",
    object({
      partition,
      after: nullable(storedKey),
      limit: int(1, TRANSFER_BATCH_KEYS_MAX),
      /** Only keys of these replica counts (namespaces' n); absent: every key. */
      n: optional(array(int(1, NAMESPACE_N_MAX), NAMESPACE_N_MAX)),
    }),
    "xfer_scan_ok",
    object({
      items: array(tuple(storedKey, bytes(0, Number.MAX_SAFE_INTEGER)), TRANSFER_BATCH_KEYS_MAX),
      done: bool,
      /** With `n`: the last key read, where the next batch starts (it may be past the last item). */
      last: optional(storedKey),
    }),
  ),
  /** Listing: the keys the receiver holds in some partitions and a range, after a cursor (src/listing). */
  kvList: define(
    "kv_list",
    object({
      partitions: array(partition, (l) => l.partitions),
      start: bytes(0, STORED_KEY_BYTES_MAX),
      end: nullable(storedKey),
      after: nullable(storedKey),
      limit: int(1, LIST_BATCH_KEYS_MAX),
    }),
    "kv_list_ok",
    object({ keys: array(tuple(storedKey, bool), LIST_BATCH_KEYS_MAX), more: bool }),
  ),
} as const;

export type PeerMessages = typeof peerMessages;
export type PeerMessageName = keyof PeerMessages;
export type PeerMessageType = PeerMessages[PeerMessageName]["type"];

/** The one union of every request a node may receive, as its handler sees it. */
export type PeerRequest = {
  [K in PeerMessageName]: { readonly type: PeerMessages[K]["type"] } & RequestOut<PeerMessages[K]>;
}[PeerMessageName];

const byType = new Map<string, MessageDef>(
  Object.values(peerMessages).map((d): [string, MessageDef] => [d.type, d]),
);

/** The definition of a received message type, or undefined for a type this protocol lacks. */
export function messageDefOf(type: string): MessageDef | undefined {
  return byType.get(type);
}
