import type { VersionVector } from "../core/causality/index.js";
import { versionVectorProblem } from "../core/causality/invariants.js";
import { partitionOf } from "../core/partition.js";
import { decodeStoredObject, type Sibling, type StoredObject } from "../core/stored-object.js";
import { BadRequestError } from "../errors.js";
import type { Message } from "../net/transport.js";

/**
 * Replica-to-replica messages about keys. Everything received is validated here: a message from
 * another node is input like any other, and a bad one is refused without touching storage.
 */
export interface KvLimits {
  partitions: number;
  keyBytesMax: number;
  valueBytesMax: number;
  contentTypeBytesMax: number;
  timeoutMsMax: number;
  n: number;
}

export interface ReadRequest {
  partition: number;
  key: Uint8Array;
  /** Read the hints this node holds for that home replica instead of its own copy. */
  hintFor: string | undefined;
}

export interface HintRequest {
  target: string;
  partition: number;
  key: Uint8Array;
  object: StoredObject;
}

export interface ReplicateRequest {
  partition: number;
  key: Uint8Array;
  object: StoredObject;
}

/** A client write forwarded to a replica of the key, which coordinates it. */
export interface PutRequest {
  key: Uint8Array;
  sibling: Sibling;
  context: VersionVector;
  w: number;
  pw: number;
  timeoutMs: number;
}

export const readMessage = (r: ReadRequest): Message =>
  r.hintFor === undefined
    ? { type: "kv_read", partition: r.partition, key: r.key }
    : { type: "kv_read", partition: r.partition, key: r.key, hintFor: r.hintFor };

export const hintMessage = (
  target: string,
  partition: number,
  key: Uint8Array,
  object: Uint8Array,
): Message => ({
  type: "kv_hint",
  target,
  partition,
  key,
  object,
});

export const replicateMessage = (partition: number, key: Uint8Array, object: Uint8Array): Message => ({
  type: "kv_replicate",
  partition,
  key,
  object,
});

export const putMessage = (p: PutRequest): Message => ({
  type: "kv_put",
  key: p.key,
  value: p.sibling.value,
  contentType: p.sibling.contentType,
  deleted: p.sibling.deleted,
  writtenAtMs: p.sibling.writtenAtMs,
  context: p.context.map(([a, c]) => [a, c]),
  w: p.w,
  pw: p.pw,
  timeoutMs: p.timeoutMs,
});

export function parseReadRequest(m: Message, limits: KvLimits): ReadRequest {
  const key = parseKey(m.key, limits);
  const hintFor = m.hintFor === undefined || m.hintFor === null ? undefined : parseNodeId(m.hintFor);
  return { key, partition: parsePartition(m.partition, key, limits), hintFor };
}

export function parseHintRequest(m: Message, limits: KvLimits): HintRequest {
  const r = parseReplicateRequest(m, limits);
  return { ...r, target: parseNodeId(m.target) };
}

function parseNodeId(id: unknown): string {
  if (typeof id !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(id))
    throw new BadRequestError("bad node id");
  return id;
}

export function parseReplicateRequest(m: Message, limits: KvLimits): ReplicateRequest {
  const key = parseKey(m.key, limits);
  const partition = parsePartition(m.partition, key, limits);
  if (!(m.object instanceof Uint8Array)) throw new BadRequestError("object must be bytes");
  return { key, partition, object: decodeStoredObject(m.object) };
}

export function parsePutRequest(m: Message, limits: KvLimits): PutRequest {
  const key = parseKey(m.key, limits);
  const { value, contentType, deleted, writtenAtMs, context, w, pw, timeoutMs } = m;
  if (!(value instanceof Uint8Array) || value.length > limits.valueBytesMax)
    throw new BadRequestError("bad value");
  if (typeof contentType !== "string" || Buffer.byteLength(contentType) > limits.contentTypeBytesMax) {
    throw new BadRequestError("bad contentType");
  }
  if (typeof deleted !== "boolean") throw new BadRequestError("bad deleted flag");
  if (typeof writtenAtMs !== "number" || !Number.isFinite(writtenAtMs))
    throw new BadRequestError("bad writtenAtMs");
  const problem = versionVectorProblem(context);
  if (problem !== undefined) throw new BadRequestError(`bad context: ${problem}`);
  if (typeof w !== "number" || !Number.isInteger(w) || w < 1 || w > limits.n)
    throw new BadRequestError("bad w");
  if (typeof pw !== "number" || !Number.isInteger(pw) || pw < 0 || pw > limits.n)
    throw new BadRequestError("bad pw");
  if (
    typeof timeoutMs !== "number" ||
    !Number.isInteger(timeoutMs) ||
    timeoutMs < 1 ||
    timeoutMs > limits.timeoutMsMax
  ) {
    throw new BadRequestError("bad timeoutMs");
  }
  return {
    key,
    sibling: { value: new Uint8Array(value), contentType, deleted, writtenAtMs },
    context: context as VersionVector,
    w,
    pw,
    timeoutMs,
  };
}

function parseKey(key: unknown, limits: KvLimits): Uint8Array {
  if (!(key instanceof Uint8Array) || key.length === 0 || key.length > limits.keyBytesMax) {
    throw new BadRequestError("bad key");
  }
  return new Uint8Array(key);
}

/** The partition must be the key's: a wrong one would file the key where no read looks. */
function parsePartition(partition: unknown, key: Uint8Array, limits: KvLimits): number {
  if (partition !== partitionOf(key, limits.partitions))
    throw new BadRequestError("partition does not match key");
  return partition;
}
