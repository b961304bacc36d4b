import assert from "node:assert/strict";
import type { KeyRange } from "./engine.js";

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
