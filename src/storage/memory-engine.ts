import assert from "node:assert/strict";
import { StorageClosedError, StorageFullError } from "../errors.js";
import { compareBytes } from "./compare-bytes.js";
import {
  type BatchOp,
  type KeyRange,
  STORE_NAMES,
  type StorageEngine,
  type StorageStats,
  type StoreName,
  type UpdateDecision,
} from "./engine.js";
import { PendingWrites } from "./pending-writes.js";
import { assertKeyRange, assertStorageKey } from "./storage-key.js";

export interface MemoryEngineOptions {
  /**
   * Sum of key and value bytes over all stores beyond which a write that grows the data fails
   * with StorageFullError (writes that shrink or keep the size always succeed).
   */
  sizeBytesMax: number;
}

export const defaultMemoryEngineOptions: MemoryEngineOptions = { sizeBytesMax: Number.POSITIVE_INFINITY };

interface Entry {
  key: Uint8Array;
  value: Uint8Array;
}

/**
 * One store: entries kept sorted by key in an array. get is O(log n) (binary search), put and
 * delete are O(n) (splice), a scan is O(log n + k). That is plenty for tests and simulations of
 * thousands of keys and keeps the code obviously correct; it is not meant for production sizes.
 */
class SortedStore {
  readonly entries: Entry[] = [];

  /** Index of the first entry whose key is >= `key`. */
  lowerBound(key: Uint8Array): number {
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareBytes(this.entries[middle]!.key, key) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    const index = this.lowerBound(key);
    const entry = this.entries[index];
    return entry !== undefined && compareBytes(entry.key, key) === 0 ? entry.value : undefined;
  }

  set(key: Uint8Array, value: Uint8Array | null): void {
    const index = this.lowerBound(key);
    const entry = this.entries[index];
    const exists = entry !== undefined && compareBytes(entry.key, key) === 0;
    if (value === null) {
      if (exists) this.entries.splice(index, 1);
    } else if (exists) {
      entry.value = value;
    } else {
      this.entries.splice(index, 0, { key, value });
    }
  }
}

function entryBytes(key: Uint8Array, value: Uint8Array | null | undefined): number {
  return value === null || value === undefined ? 0 : key.length + value.length;
}

/**
 * The in-memory StorageEngine for unit tests and the deterministic simulation. Same semantics as
 * the LMDB engine: atomic read-modify-write, all-or-nothing batches, copies in and out (a caller
 * mutating a buffer never changes stored data), and promises that never resolve synchronously.
 */
export class MemoryEngine implements StorageEngine {
  private readonly stores: Record<StoreName, SortedStore>;
  private readonly pending = new PendingWrites();
  private sizeBytes = 0;
  private closed = false;

  constructor(private readonly options: MemoryEngineOptions = defaultMemoryEngineOptions) {
    assert(options.sizeBytesMax >= 0, `sizeBytesMax must be >= 0, got ${options.sizeBytesMax}`);
    this.stores = { objects: new SortedStore(), hints: new SortedStore(), meta: new SortedStore() };
  }

  get(store: StoreName, key: Uint8Array): Uint8Array | undefined {
    this.assertOpen();
    assertStorageKey(key);
    const value = this.stores[store].get(key);
    return value === undefined ? undefined : value.slice();
  }

  update<T>(
    store: StoreName,
    key: Uint8Array,
    fn: (old: Uint8Array | undefined) => UpdateDecision<T>,
  ): Promise<T> {
    if (this.closed) return Promise.reject(new StorageClosedError("storage engine is closed"));
    assertStorageKey(key);
    const ownKey = key.slice();
    // The read-modify-write runs in a later microtask, like LMDB runs it in a later transaction:
    // callers can rely neither on fn running synchronously nor on the promise resolving so.
    // Within that microtask nothing else runs, which is what makes it atomic.
    const write = Promise.resolve().then(() => {
      const old = this.stores[store].get(ownKey);
      const decision = fn(old === undefined ? undefined : old.slice());
      if (decision.write !== undefined) {
        const value = decision.write === null ? null : decision.write.slice();
        this.admit(entryBytes(ownKey, value) - entryBytes(ownKey, old));
        this.stores[store].set(ownKey, value);
      }
      return decision.result;
    });
    return this.pending.track(write);
  }

  scan(store: StoreName, range: KeyRange = {}): Iterable<[Uint8Array, Uint8Array]> {
    this.assertOpen();
    assertKeyRange(range);
    return this.walk(this.stores[store], range);
  }

  /**
   * Walks lazily and re-seeks after every entry, so writes that land while a consumer is between
   * two steps never make the walk skip or repeat a key (it is not a snapshot, unlike LMDB's).
   */
  private *walk(store: SortedStore, range: KeyRange): Generator<[Uint8Array, Uint8Array]> {
    const limit = range.limit ?? Number.POSITIVE_INFINITY;
    let index = range.start === undefined ? 0 : store.lowerBound(range.start);
    for (let count = 0; count < limit; count++) {
      this.assertOpen();
      const entry = store.entries[index];
      if (entry === undefined) return;
      if (range.end !== undefined && compareBytes(entry.key, range.end) >= 0) return;
      const key = entry.key.slice();
      yield [key, entry.value.slice()];
      index = store.lowerBound(key);
      if (store.entries[index] !== undefined && compareBytes(store.entries[index]!.key, key) === 0) index++;
    }
  }

  batch(ops: readonly BatchOp[]): Promise<void> {
    if (this.closed) return Promise.reject(new StorageClosedError("storage engine is closed"));
    for (const op of ops) assertStorageKey(op.key);
    const owned = ops.map((op) => ({
      store: op.store,
      key: op.key.slice(),
      value: op.value?.slice() ?? null,
    }));
    const write = Promise.resolve().then(() => {
      // Size is checked for the whole batch before anything is applied, so a full engine refuses
      // the batch as a unit. A key written twice in one batch counts once, as the last op wins.
      const after = new Map<string, { store: StoreName; key: Uint8Array; value: Uint8Array | null }>();
      for (const op of owned) after.set(`${op.store}:${Buffer.from(op.key).toString("hex")}`, op);
      let growthBytes = 0;
      for (const op of after.values()) {
        growthBytes += entryBytes(op.key, op.value) - entryBytes(op.key, this.stores[op.store].get(op.key));
      }
      this.admit(growthBytes);
      for (const op of owned) this.stores[op.store].set(op.key, op.value);
    });
    return this.pending.track(write);
  }

  stats(): StorageStats {
    this.assertOpen();
    const stores = Object.fromEntries(
      STORE_NAMES.map((name) => [name, { entries: this.stores[name].entries.length }]),
    ) as StorageStats["stores"];
    return { stores, diskBytes: 0 };
  }

  async close(): Promise<void> {
    // A second close is a no-op: shutdown paths may reach close twice and that is not a bug.
    if (this.closed) return;
    this.closed = true;
    await this.pending.drain();
  }

  /** Applies the size limit to a write that changes the total by `growthBytes`, then counts it. */
  private admit(growthBytes: number): void {
    const sizeBytesAfter = this.sizeBytes + growthBytes;
    if (growthBytes > 0 && sizeBytesAfter > this.options.sizeBytesMax) {
      throw new StorageFullError(
        `memory storage would hold ${sizeBytesAfter} bytes, the limit is ${this.options.sizeBytesMax}`,
      );
    }
    this.sizeBytes = sizeBytesAfter;
  }

  private assertOpen(): void {
    if (this.closed) throw new StorageClosedError("storage engine is closed");
  }
}
