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
  /**
   * A disk that syncs later than writes are made, for crash simulation. Absent (the default):
   * a write is visible and durable as soon as it is applied. Present: applied writes wait,
   * invisible to `get` and `scan` but seen by later updates (as writes inside one LMDB write
   * transaction see each other), until the engine calls the `sync` it handed to this function;
   * then every write applied so far becomes visible and durable at once and their promises
   * resolve in write order, as an LMDB commit with its fsync does. `crash()` keeps only synced
   * writes. The engine asks again once new writes wait; the function decides when `sync` runs.
   */
  scheduleSync?: (sync: () => void) => void;
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

  copy(): SortedStore {
    const copy = new SortedStore();
    for (const { key, value } of this.entries) copy.entries.push({ key, value });
    return copy;
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

/** A write applied but not yet synced (only with `scheduleSync`). */
interface UnsyncedWrite {
  store: StoreName;
  key: Uint8Array;
  value: Uint8Array | null;
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
  /** Set by crash(): the process is gone, nothing it started completes. */
  private crashed = false;
  /** With `scheduleSync`: writes applied in order and not yet synced, and the latest per key. */
  private readonly unsynced: UnsyncedWrite[] = [];
  private readonly unsyncedLatest = new Map<string, Uint8Array | null>();
  /** Resolvers of writes waiting for the next sync, in write order. */
  private readonly awaitingSync: (() => void)[] = [];
  private syncScheduled = false;

  constructor(private readonly options: MemoryEngineOptions = defaultMemoryEngineOptions) {
    assert(options.sizeBytesMax >= 0, `sizeBytesMax must be >= 0, got ${options.sizeBytesMax}`);
    this.stores = { objects: new SortedStore(), hints: new SortedStore(), meta: new SortedStore() };
  }

  /**
   * The process holding this engine dies: its pending writes never settle (a killed process
   * sees no answer) and writes not yet synced are lost. Returns the engine a restarted process
   * finds on disk: every synced write and nothing else. Reads of this engine keep answering
   * from what was synced, so code of the dead node still running a callback does not throw.
   */
  crash(): MemoryEngine {
    assert(!this.crashed, "a crashed engine cannot crash again");
    this.crashed = true;
    this.unsynced.length = 0;
    this.unsyncedLatest.clear();
    this.awaitingSync.length = 0;
    const recovered = new MemoryEngine(this.options);
    for (const name of STORE_NAMES) {
      const store = this.stores[name].copy();
      recovered.stores[name] = store;
      for (const { key, value } of store.entries) recovered.sizeBytes += entryBytes(key, value);
    }
    return recovered;
  }

  /** Writes applied but not yet synced (always 0 without `scheduleSync`). */
  get unsyncedWrites(): number {
    return this.unsynced.length;
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
    onApplied?: (result: T) => void,
  ): Promise<T> {
    if (this.closed) return Promise.reject(new StorageClosedError("storage engine is closed"));
    assertStorageKey(key);
    const ownKey = key.slice();
    // The read-modify-write runs in a later microtask, like LMDB runs it in a later transaction:
    // callers can rely neither on fn running synchronously nor on the promise resolving so.
    // Within that microtask nothing else runs, which is what makes it atomic.
    const write = Promise.resolve().then(() => {
      if (this.crashed) return never<T>();
      const old = this.latest(store, ownKey);
      const decision = fn(old === undefined ? undefined : old.slice());
      if (decision.write !== undefined) {
        const value = decision.write === null ? null : decision.write.slice();
        this.admit(entryBytes(ownKey, value) - entryBytes(ownKey, old));
        this.apply(store, ownKey, value);
      }
      if (onApplied !== undefined) queueMicrotask(() => onApplied(decision.result));
      return this.durable(decision.result);
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
      if (this.crashed) return never<void>();
      // Size is checked for the whole batch before anything is applied, so a full engine refuses
      // the batch as a unit. A key written twice in one batch counts once, as the last op wins.
      const after = new Map<string, { store: StoreName; key: Uint8Array; value: Uint8Array | null }>();
      for (const op of owned) after.set(`${op.store}:${Buffer.from(op.key).toString("hex")}`, op);
      let growthBytes = 0;
      for (const op of after.values()) {
        growthBytes += entryBytes(op.key, op.value) - entryBytes(op.key, this.latest(op.store, op.key));
      }
      this.admit(growthBytes);
      for (const op of owned) this.apply(op.store, op.key, op.value);
      return this.durable(undefined);
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

  /** What a writer sees for a key: its latest write, synced or not. */
  private latest(store: StoreName, key: Uint8Array): Uint8Array | undefined {
    const id = unsyncedId(store, key);
    if (!this.unsyncedLatest.has(id)) return this.stores[store].get(key);
    return this.unsyncedLatest.get(id) ?? undefined;
  }

  private apply(store: StoreName, key: Uint8Array, value: Uint8Array | null): void {
    if (this.options.scheduleSync === undefined) {
      this.stores[store].set(key, value);
      return;
    }
    this.unsynced.push({ store, key, value });
    this.unsyncedLatest.set(unsyncedId(store, key), value);
  }

  /** `result` once the write just applied is durable: at once, or at the next sync. */
  private durable<T>(result: T): T | Promise<T> {
    const scheduleSync = this.options.scheduleSync;
    if (scheduleSync === undefined) return result;
    const synced = new Promise<T>((resolve) => this.awaitingSync.push(() => resolve(result)));
    if (!this.syncScheduled) {
      this.syncScheduled = true;
      scheduleSync(() => this.sync());
    }
    return synced;
  }

  /** Makes every write applied so far visible and durable, then resolves their promises in order. */
  private sync(): void {
    this.syncScheduled = false;
    if (this.crashed) return;
    for (const write of this.unsynced) this.stores[write.store].set(write.key, write.value);
    this.unsynced.length = 0;
    this.unsyncedLatest.clear();
    for (const resolve of this.awaitingSync.splice(0)) resolve();
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

function unsyncedId(store: StoreName, key: Uint8Array): string {
  return `${store}:${Buffer.from(key).toString("hex")}`;
}

/** A promise that never settles: what a write of a crashed process resolves to. */
function never<T>(): Promise<T> {
  return new Promise<T>(() => undefined);
}
