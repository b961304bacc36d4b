import { type ConflictResolution, causalResolution } from "../core/conflict-mode.js";
import { decodeStoredObject, encodeStoredObject, type StoredObject } from "../core/stored-object.js";
import { RingkvError } from "../errors.js";
import type { StorageEngine } from "../storage/engine.js";

/** This node already holds the maximum number of hints for that target: the write must find its acks elsewhere. */
export class HintStoreFullError extends RingkvError {
  readonly code = "hints_full";
  constructor(
    readonly target: string,
    readonly hintsPerTargetMax: number,
  ) {
    super(
      `this node holds ${hintsPerTargetMax} hints for ${target}, the limit; it takes no more until they are delivered`,
    );
  }
}

export interface HintRecord {
  partition: number;
  key: Uint8Array;
  /** When the first write of this hint was stored (later ones merge into it and keep it). */
  storedAtMs: number;
  /** The hinted history's encoding. */
  object: Uint8Array;
  /** The stored bytes as read, to delete the hint only if it did not change meanwhile. */
  bytes: Uint8Array;
}

export interface HintStoreOptions {
  /** Hints held for one target at most; more are refused (HintStoreFullError). */
  hintsPerTargetMax: number;
  /** The node's clock: a hint is stamped with the time it was first stored. */
  nowMs: () => number;
  conflicts?: ConflictResolution;
  /** A write was stored (or merged into a held hint) for `target`. */
  onStored?: (target: string) => void;
  /** A write for `target` was refused: this node already holds the maximum for it. */
  onRefused?: (target: string) => void;
}

/**
 * A hint's stored value: this format byte (unlike any stored object's), the time the hint was
 * first stored (float64, big-endian), then the hinted object's encoding. Hints written before
 * hints had a time hold the object alone; they count as stored when this node started.
 */
const HINT_FORMAT = 0xa1;
const HINT_HEADER_BYTES = 9;

/**
 * Writes held on behalf of a home replica that did not take them (down, slow, refusing), in the
 * engine's `hints` store, so they survive a restart. Key: target id length (1 byte) ++ target id
 * ++ partition (4 bytes big-endian) ++ user key, so all hints of one target are one ordered range.
 * Several hints for one key merge into one, under the cluster's conflict mode, keeping the time
 * of the first: a hint's age is that of the oldest write in it (see expire).
 */
export class HintStore {
  private readonly counts = new Map<string, number>();
  private readonly conflicts: ConflictResolution;
  private readonly openedAtMs: number;

  constructor(
    private readonly storage: StorageEngine,
    private readonly options: HintStoreOptions,
  ) {
    this.conflicts = options.conflicts ?? causalResolution;
    this.openedAtMs = options.nowMs();
    // Counts are rebuilt once at start-up; afterwards every add/remove keeps them exact.
    for (const [key] of storage.scan("hints")) {
      const target = targetOf(key);
      this.counts.set(target, (this.counts.get(target) ?? 0) + 1);
    }
  }

  /** Hints held per target. */
  targets(): Map<string, number> {
    return new Map([...this.counts].filter(([, n]) => n > 0));
  }

  total(): number {
    let total = 0;
    for (const n of this.counts.values()) total += n;
    return total;
  }

  async add(target: string, partition: number, key: Uint8Array, object: StoredObject): Promise<void> {
    const added = await this.storage.update("hints", hintKey(target, partition, key), (old) => {
      if (old === undefined) {
        if ((this.counts.get(target) ?? 0) >= this.options.hintsPerTargetMax) {
          this.options.onRefused?.(target);
          throw new HintStoreFullError(target, this.options.hintsPerTargetMax);
        }
        return { write: hintValue(this.options.nowMs(), encodeStoredObject(object)), result: true };
      }
      const stored = this.parse(old);
      const merged = this.conflicts.merge(decodeStoredObject(stored.object), object);
      return { write: hintValue(stored.storedAtMs, encodeStoredObject(merged)), result: false };
    });
    if (added) this.counts.set(target, (this.counts.get(target) ?? 0) + 1);
    this.options.onStored?.(target);
  }

  read(target: string, partition: number, key: Uint8Array): StoredObject | undefined {
    const bytes = this.storage.get("hints", hintKey(target, partition, key));
    return bytes === undefined ? undefined : decodeStoredObject(this.parse(bytes).object);
  }

  /** Up to `limit` hints for one target, in key order. */
  pending(target: string, limit: number): HintRecord[] {
    const prefix = targetPrefix(target);
    const records: HintRecord[] = [];
    for (const [k, bytes] of this.storage.scan("hints", { start: prefix, end: prefixEnd(prefix), limit })) {
      const view = Buffer.from(k.buffer, k.byteOffset, k.byteLength);
      records.push({
        partition: view.readUInt32BE(prefix.length),
        key: k.slice(prefix.length + 4),
        ...this.parse(bytes),
        bytes,
      });
    }
    return records;
  }

  /** Deletes a delivered hint, unless a newer write for the key was merged into it meanwhile. */
  async removeIfUnchanged(target: string, record: HintRecord): Promise<boolean> {
    const removed = await this.storage.update(
      "hints",
      hintKey(target, record.partition, record.key),
      (old) => {
        if (old === undefined || !Buffer.from(old).equals(Buffer.from(record.bytes)))
          return { write: undefined, result: false };
        return { write: null, result: true };
      },
    );
    if (removed) this.counts.set(target, Math.max(0, (this.counts.get(target) ?? 0) - 1));
    return removed;
  }

  /**
   * Deletes hints first stored `windowMs` or longer ago, looking at up to `limit` hints in key
   * order after `after` (undefined: from the start). Resolves with how many it deleted, per
   * target, and where the next sweep resumes (undefined: it reached the end).
   */
  async expire(
    windowMs: number,
    limit: number,
    after: Uint8Array | undefined,
  ): Promise<{ expired: Map<string, number>; next: Uint8Array | undefined }> {
    const oldestKeptMs = this.options.nowMs() - windowMs;
    const old: [Uint8Array, Uint8Array][] = [];
    let next: Uint8Array | undefined;
    let seen = 0;
    let more = false;
    // `after` itself (the start is inclusive) and one past the limit, which tells whether more remain.
    for (const [k, bytes] of this.storage.scan("hints", { start: after, limit: limit + 2 })) {
      if (after !== undefined && Buffer.from(k).equals(Buffer.from(after))) continue;
      if (seen >= limit) {
        more = true;
        break;
      }
      seen += 1;
      next = k;
      if (this.parse(bytes).storedAtMs <= oldestKeptMs) old.push([k, bytes]);
    }
    const expired = new Map<string, number>();
    for (const [k, bytes] of old) {
      const removed = await this.storage.update("hints", k, (current) =>
        current !== undefined && Buffer.from(current).equals(Buffer.from(bytes))
          ? { write: null, result: true }
          : { write: undefined, result: false },
      );
      if (!removed) continue;
      const target = targetOf(k);
      expired.set(target, (expired.get(target) ?? 0) + 1);
      this.counts.set(target, Math.max(0, (this.counts.get(target) ?? 0) - 1));
    }
    return { expired, next: more ? next : undefined };
  }

  private parse(bytes: Uint8Array): { storedAtMs: number; object: Uint8Array } {
    if (bytes[0] !== HINT_FORMAT || bytes.length <= HINT_HEADER_BYTES)
      return { storedAtMs: this.openedAtMs, object: bytes };
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return { storedAtMs: view.readDoubleBE(1), object: bytes.subarray(HINT_HEADER_BYTES) };
  }
}

function hintValue(storedAtMs: number, object: Uint8Array): Uint8Array {
  const value = Buffer.allocUnsafe(HINT_HEADER_BYTES + object.length);
  value[0] = HINT_FORMAT;
  value.writeDoubleBE(storedAtMs, 1);
  value.set(object, HINT_HEADER_BYTES);
  return value;
}

function targetPrefix(target: string): Uint8Array {
  const id = Buffer.from(target, "utf8");
  if (id.length === 0 || id.length > 255) throw new Error(`hint target id must be 1..255 bytes: ${target}`);
  return Buffer.concat([Buffer.from([id.length]), id]);
}

function hintKey(target: string, partition: number, key: Uint8Array): Uint8Array {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(partition, 0);
  return Buffer.concat([targetPrefix(target), p, key]);
}

function targetOf(key: Uint8Array): string {
  const length = key[0] ?? 0;
  return Buffer.from(key.buffer, key.byteOffset + 1, length).toString("utf8");
}

/** The first key after every key that starts with `prefix`. */
function prefixEnd(prefix: Uint8Array): Uint8Array | undefined {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] ?? 0) < 0xff) {
      end[i] = (end[i] ?? 0) + 1;
      return end.subarray(0, i + 1);
    }
  }
  return undefined;
}
