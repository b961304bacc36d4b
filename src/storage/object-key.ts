import assert from "node:assert/strict";
import type { KeyRange, StorageEngine } from "./engine.js";

/**
 * Object keys in the `objects` store are `partition (4 bytes, big-endian) ++ user key`. Big-endian
 * makes bytewise order equal numeric partition order, so one partition is one contiguous range
 * and handoff or a Merkle rebuild is a single range scan.
 */
const PARTITION_BYTES = 4;
const PARTITION_MAX = 0xffff_ffff;

function assertPartition(partition: number): void {
  assert(
    Number.isInteger(partition) && partition >= 0 && partition <= PARTITION_MAX,
    `partition must be an integer in 0..${PARTITION_MAX}, got ${partition}`,
  );
}

function partitionPrefix(partition: number): Uint8Array {
  const prefix = new Uint8Array(PARTITION_BYTES);
  new DataView(prefix.buffer).setUint32(0, partition, false);
  return prefix;
}

export function objectKey(partition: number, key: Uint8Array): Uint8Array {
  assertPartition(partition);
  const out = new Uint8Array(PARTITION_BYTES + key.length);
  out.set(partitionPrefix(partition), 0);
  out.set(key, PARTITION_BYTES);
  return out;
}

/**
 * Every key of one partition: from the bare prefix (inclusive) to the next partition's prefix
 * (exclusive). The last partition has no successor prefix, so its range is open-ended.
 */
export function partitionRange(partition: number): KeyRange {
  assertPartition(partition);
  const start = partitionPrefix(partition);
  if (partition === PARTITION_MAX) return { start };
  return { start, end: partitionPrefix(partition + 1) };
}

export function splitObjectKey(k: Uint8Array): { partition: number; key: Uint8Array } {
  assert(k.length >= PARTITION_BYTES, `an object key has at least ${PARTITION_BYTES} bytes, got ${k.length}`);
  const partition = new DataView(k.buffer, k.byteOffset, PARTITION_BYTES).getUint32(0, false);
  return { partition, key: k.slice(PARTITION_BYTES) };
}

/** Bounds of one partitionScan: it returns at most itemsMax objects and reads at most scannedMax. */
export interface PartitionScanLimits {
  readonly itemsMax: number;
  readonly scannedMax: number;
  /** The items stop growing once their bytes reach this (one large object still fits). */
  readonly bytesMax?: number;
}

export interface PartitionScan {
  /** (user key, stored bytes) of the objects `keep` took, in key order. */
  readonly items: [Uint8Array, Uint8Array][];
  /** The last key read (taken or not), where the next scan starts after; `after` if none was read. */
  readonly last: Uint8Array | undefined;
  /** Whether the partition's end was reached. */
  readonly end: boolean;
}

/**
 * One bounded step through a partition's objects after `after` (exclusive), keeping those
 * `keep` accepts. A filter that takes few keys still reads at most scannedMax, so a step's
 * cost is bounded whatever the partition holds.
 */
export function partitionScan(
  engine: Pick<StorageEngine, "scan">,
  partition: number,
  after: Uint8Array | undefined,
  keep: (key: Uint8Array) => boolean,
  limits: PartitionScanLimits,
): PartitionScan {
  const range = partitionRange(partition);
  const start = after === undefined ? range.start : objectKey(partition, after);
  const items: [Uint8Array, Uint8Array][] = [];
  let bytes = 0;
  let scanned = 0;
  let last = after;
  for (const [storageKey, value] of engine.scan("objects", { ...range, start })) {
    const key = storageKey.slice(PARTITION_BYTES);
    if (after !== undefined && Buffer.from(key).equals(Buffer.from(after))) continue;
    if (
      items.length >= limits.itemsMax ||
      scanned >= limits.scannedMax ||
      bytes >= (limits.bytesMax ?? Infinity)
    )
      return { items, last, end: false };
    scanned += 1;
    last = key;
    if (!keep(key)) continue;
    items.push([key, value]);
    bytes += value.length;
  }
  return { items, last, end: true };
}
