import { expiredAsTombstones } from "../core/expiry.js";
import { decodeStoredObject, liveSiblings } from "../core/stored-object.js";
import { compareBytes, objectKey, partitionRange, type StorageEngine } from "../storage/index.js";
import type { ListBatch, ListBatchRequest, ListedKey } from "./interface.js";

/** Bounds one answer whatever the limit: keys (with their partition prefix) summed, in bytes. */
export const LIST_BATCH_BYTES_MAX = 1024 * 1024;
const PARTITION_PREFIX_BYTES = 4;

/**
 * The keys this node holds in the given partitions and range, merged into one ascending order.
 * Each partition is read in chunks (a scan of a few keys from where it stopped) rather than by a
 * cursor held open, so memory stays near `limit` plus a chunk per partition and no read
 * transaction outlives the call. A key is live when the local copy has a value that is neither a
 * tombstone nor expired at `nowMs` (expiry is judged at read time, core/expiry.ts); the caller
 * decides what disagreeing replicas mean.
 */
export function listLocalKeys(storage: StorageEngine, request: ListBatchRequest, nowMs: number): ListBatch {
  const { range, after, limit } = request;
  const lower = after === undefined || compareBytes(after, range.start) < 0 ? range.start : successor(after);
  const chunk = Math.max(16, Math.ceil((2 * limit) / Math.max(1, request.partitions.length)));
  const cursors = request.partitions
    .map((p) => new PartitionCursor(storage, p, lower, range.end, chunk, nowMs))
    .filter((c) => c.head !== undefined);
  const keys: ListedKey[] = [];
  let bytes = 0;
  while (keys.length < limit && bytes < LIST_BATCH_BYTES_MAX) {
    let least: PartitionCursor | undefined;
    for (const c of cursors) {
      const head = c.head;
      if (head === undefined) continue;
      if (least === undefined || compareBytes(head.key, (least.head as ListedKey).key) < 0) least = c;
    }
    if (least === undefined) return { keys, more: false };
    const head = least.head as ListedKey;
    keys.push(head);
    bytes += head.key.length + PARTITION_PREFIX_BYTES;
    least.advance();
  }
  return { keys, more: cursors.some((c) => c.head !== undefined) };
}

/** The smallest byte string after `key`: the key with a 0x00 byte appended. */
function successor(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length + 1);
  out.set(key, 0);
  return out;
}

/** One partition's keys from `lower`, read `chunk` at a time. */
class PartitionCursor {
  private buffer: ListedKey[] = [];
  private index = 0;
  private exhausted = false;
  private readonly end: Uint8Array | undefined;

  constructor(
    private readonly storage: StorageEngine,
    private readonly partition: number,
    private lower: Uint8Array,
    end: Uint8Array | undefined,
    private readonly chunk: number,
    private readonly nowMs: number,
  ) {
    this.end = end === undefined ? partitionRange(partition).end : objectKey(partition, end);
    this.fill();
  }

  get head(): ListedKey | undefined {
    return this.buffer[this.index];
  }

  advance(): void {
    this.index++;
    if (this.index >= this.buffer.length && !this.exhausted) this.fill();
  }

  private fill(): void {
    const range = {
      start: objectKey(this.partition, this.lower),
      ...(this.end === undefined ? {} : { end: this.end }),
      limit: this.chunk,
    };
    this.buffer = [];
    this.index = 0;
    for (const [stored, bytes] of this.storage.scan("objects", range)) {
      const key = stored.slice(PARTITION_PREFIX_BYTES);
      const seen = expiredAsTombstones(decodeStoredObject(bytes), this.nowMs);
      this.buffer.push({ key, live: liveSiblings(seen).length > 0 });
    }
    if (this.buffer.length < this.chunk) this.exhausted = true;
    const last = this.buffer[this.buffer.length - 1];
    if (last !== undefined) this.lower = successor(last.key);
  }
}
