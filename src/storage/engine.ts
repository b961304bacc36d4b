/**
 * The storage engine: a few named, ordered byte maps with atomic read-modify-write and durable
 * batches. Everything above it (object encoding, partition prefixes, hints) is plain bytes here.
 *
 * Durability contract: a promise returned by `update` or `batch` resolves only once the write is
 * on disk (it survives SIGKILL of the process and a power cut, as far as fsync can promise it).
 * Reads (`get`, `scan`) see every write whose promise has resolved.
 */
export type StoreName = "objects" | "hints" | "meta";

export const STORE_NAMES: readonly StoreName[] = ["objects", "hints", "meta"];

/** Keys are compared bytewise (unsigned), shorter first on a common prefix. */
export interface KeyRange {
  /** Inclusive lower bound; omitted means from the first key. */
  start?: Uint8Array;
  /** Exclusive upper bound; omitted means to the last key. */
  end?: Uint8Array;
  /** At most this many entries. */
  limit?: number;
}

/**
 * What an update function decides: `write` is the new value, `null` deletes the key,
 * `undefined` leaves it as it was (and nothing is written). `result` is handed back to the caller.
 */
export interface UpdateDecision<T> {
  write: Uint8Array | null | undefined;
  result: T;
}

export interface BatchOp {
  store: StoreName;
  key: Uint8Array;
  /** `null` deletes the key. */
  value: Uint8Array | null;
}

export interface StoreStats {
  entries: number;
}

export interface StorageStats {
  stores: Record<StoreName, StoreStats>;
  /** Bytes the engine uses on disk (0 for an in-memory engine). */
  diskBytes: number;
}

export interface StorageEngine {
  /** The committed value of a key, or undefined. */
  get(store: StoreName, key: Uint8Array): Uint8Array | undefined;
  /**
   * Reads one key, calls `fn` with its current value and applies the decision atomically: no
   * other write to that key happens between the read and the write. `fn` runs exactly once and
   * must be synchronous and pure; if it throws, nothing is written and the promise rejects with
   * that error. Resolves with `result` once the write is durable.
   *
   * `onApplied`, if given, is called with `result` once the decision is applied and visible to
   * later updates of the key, but before it is durable: a caller may act on the new value early
   * (send it on) while the commit is under way. It is called from a microtask of its own, never
   * inside the engine's transaction, and not at all when `fn` or the write fails before it was
   * applied. The commit can still fail afterwards: the promise then rejects.
   */
  update<T>(
    store: StoreName,
    key: Uint8Array,
    fn: (old: Uint8Array | undefined) => UpdateDecision<T>,
    onApplied?: (result: T) => void,
  ): Promise<T>;
  /** Entries in ascending key order within the range. */
  scan(store: StoreName, range?: KeyRange): Iterable<[Uint8Array, Uint8Array]>;
  /** Applies all ops atomically; resolves once durable. */
  batch(ops: readonly BatchOp[]): Promise<void>;
  stats(): StorageStats;
  /** Waits for pending writes, then releases files. Further calls throw StorageClosedError. */
  close(): Promise<void>;
}
