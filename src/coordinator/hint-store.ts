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
  /** The stored bytes as read, to delete the hint only if it did not change meanwhile. */
  bytes: Uint8Array;
}

/**
 * Writes held on behalf of a home replica that was down (sloppy quorum), in the engine's `hints`
 * store, so they survive a restart. Key: target id length (1 byte) ++ target id ++ partition
 * (4 bytes big-endian) ++ user key, so all hints of one target are one ordered range. Several
 * hints for one key merge into one, under the cluster's conflict mode.
 */
export class HintStore {
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly storage: StorageEngine,
    private readonly hintsPerTargetMax: number,
    private readonly hooks: { onStored(): void; onRefused(): void } = {
      onStored: () => {},
      onRefused: () => {},
    },
    private readonly conflicts: ConflictResolution = causalResolution,
  ) {
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
        if ((this.counts.get(target) ?? 0) >= this.hintsPerTargetMax) {
          this.hooks.onRefused();
          throw new HintStoreFullError(target, this.hintsPerTargetMax);
        }
        return { write: encodeStoredObject(object), result: true };
      }
      return {
        write: encodeStoredObject(this.conflicts.merge(decodeStoredObject(old), object)),
        result: false,
      };
    });
    if (added) this.counts.set(target, (this.counts.get(target) ?? 0) + 1);
    this.hooks.onStored();
  }

  read(target: string, partition: number, key: Uint8Array): StoredObject | undefined {
    const bytes = this.storage.get("hints", hintKey(target, partition, key));
    return bytes === undefined ? undefined : decodeStoredObject(bytes);
  }

  /** Up to `limit` hints for one target, in key order. */
  pending(target: string, limit: number): HintRecord[] {
    const prefix = targetPrefix(target);
    const records: HintRecord[] = [];
    for (const [k, bytes] of this.storage.scan("hints", { start: prefix, end: prefixEnd(prefix), limit })) {
      const view = Buffer.from(k.buffer, k.byteOffset, k.byteLength);
      records.push({ partition: view.readUInt32BE(prefix.length), key: k.slice(prefix.length + 4), bytes });
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
