import assert from "node:assert/strict";
import fs from "node:fs";
import nodePath from "node:path";
import { type Database, open, type RootDatabase, type RootDatabaseOptionsWithPath } from "lmdb";
import { StorageClosedError, StorageFullError, StorageOpenError } from "../errors.js";
import {
  type BatchOp,
  type KeyRange,
  STORE_NAMES,
  type StorageEngine,
  type StorageStats,
  type StoreName,
  type UpdateDecision,
} from "./engine.js";
import { entryBytesEstimate, META_PAGES, type TreeStats, treePages } from "./lmdb-space.js";
import { PendingWrites } from "./pending-writes.js";
import { assertKeyRange, assertStorageKey } from "./storage-key.js";

export interface LmdbEngineOptions {
  /** Directory that holds data.mdb and lock.mdb; created (with parents) if missing. */
  path: string;
  /**
   * Bytes of pages the data may occupy. A write that would grow the data beyond it fails with
   * StorageFullError; deletes and writes that do not grow the data are always accepted, so the
   * engine recovers once space is freed. See lmdb-space.ts for how this is measured.
   */
  mapSizeBytesMax: number;
}

/**
 * The page size is fixed when the file is created. 4 KiB is the OS page on Linux x86-64 and
 * keeps the maximum key at 1978 bytes (STORAGE_KEY_BYTES_MAX); it is set explicitly so a file
 * created on a 16 KiB-page machine (macOS arm64) has the same limits.
 */
const PAGE_SIZE_BYTES = 4096;
/** The smallest useful limit: meta pages, the main tree and one leaf per store, with headroom. */
const MAP_SIZE_BYTES_MIN = 64 * PAGE_SIZE_BYTES;
/**
 * Writes are admitted against an estimated upper bound of the space in use, without measuring,
 * while that bound stays below this fraction of the limit (page splits can make real growth
 * exceed the per-entry estimate, so the margin is wide), and for at most this many writes.
 */
const UNMEASURED_FRACTION_MAX = 0.5;
const ADMITS_BETWEEN_MEASURES_MAX = 1024;
/** MDB_MAP_FULL and ENOSPC as lmdb-js reports them in `error.code`. */
const MDB_MAP_FULL = -30792;
const ENOSPC = 28;

type Store = Database<Uint8Array, Uint8Array>;

/** lmdb-js's `getStats()` is typed `{}`; these are the fields it returns (read.js, getStats). */
interface LmdbStats extends TreeStats {
  root: TreeStats;
  free: TreeStats;
}

/** Options lmdb-js understands that its type declarations leave out (open.js, env.cpp). */
interface UndeclaredEnvOptions {
  noReadAhead: boolean;
  mapAsync: boolean;
  safeRestore: boolean;
  usePreviousSnapshot: boolean;
  trackMetrics: boolean;
  permissionsMode: number;
  commitDelay: number;
  txnStartThreshold: number;
}

/**
 * Every option that affects durability, atomicity, space or layout is spelled out, because
 * lmdb-js defaults are chosen for a cache, not for a replica that acknowledges writes.
 */
function environmentOptions(options: LmdbEngineOptions): RootDatabaseOptionsWithPath & UndeclaredEnvOptions {
  return {
    path: options.path,
    // The path is a directory holding data.mdb and lock.mdb, whatever its name looks like
    // (lmdb-js would otherwise guess "file" for a path containing a dot).
    noSubdir: false,
    readOnly: false,
    // Durability: commit implies fsync. With overlappingSync off, the write thread begins each
    // transaction without MDB_NOSYNC (src/writer.cpp, WriteWorker::Write) so mdb_txn_commit
    // fdatasyncs the data pages and writes the meta page through the O_DSYNC descriptor before it
    // returns (mdb.c, mdb_txn_commit -> mdb_env_sync0, mdb_env_write_meta); only then is
    // TXN_COMMITTED set and the promise resolved (write.js, resolveWrites/resolveCommit). With
    // overlappingSync on, promises resolve at commit while the sync happens later.
    overlappingSync: false,
    noSync: false,
    noMetaSync: false,
    // msync(MS_ASYNC) would break the "resolved means durable" contract for write-map mode; we do
    // not use a write map anyway.
    mapAsync: false,
    // A write map lets a stray pointer corrupt the file and disables child transactions, which
    // batch() needs to be all-or-nothing.
    useWritemap: false,
    // Only meaningful with overlappingSync (which flushed snapshot to trust after a crash);
    // pinned so the LMDB_RESTORE environment variable cannot change behaviour behind our back.
    safeRestore: false,
    usePreviousSnapshot: false,
    // Zero the unused part of pages before writing them, so the file never carries leftovers
    // of process memory (other keys and values) into backups and handoff copies.
    noMemInit: false,
    // Range scans (handoff, Merkle rebuilds) read consecutive pages: keep kernel read-ahead.
    noReadAhead: false,
    pageSize: PAGE_SIZE_BYTES,
    // One sub-database per store; a fourth one is a programming error LMDB reports loudly.
    maxDbs: STORE_NAMES.length,
    // LMDB's default; one reader slot per concurrent read transaction (lmdb-js keeps one for
    // gets plus one per open scan iterator), so 126 leaves room for many concurrent scans.
    maxReaders: 126,
    // The initial map covers the whole limit, so the map is not remapped in normal operation
    // (lmdb-js keeps every old mapping alive after a remap). 64-bit address space is plenty.
    mapSize: options.mapSizeBytesMax,
    remapChunks: false,
    // Group commit without event-turn batching. With eventTurnBatching on, lmdb-js opens each
    // turn's batch with an internal instruction whose commit promise it drops (write.js, the
    // setImmediate that calls `writeBatchStart()` and ignores its result): when a commit fails
    // (ENOSPC) that promise rejects unhandled and Node kills the process. Off, writes queued
    // before the next setImmediate (commitDelay 0) share one transaction, a transaction starts
    // early once more than txnStartThreshold writes wait, and writes arriving during a commit's
    // fsync form the next one: still one fsync for many concurrent writes.
    eventTurnBatching: false,
    txnStartThreshold: 5,
    commitDelay: 0,
    // No encryption, no compression, no decoded-value cache: values are opaque bytes that the
    // layers above encode, and a cache would hold a second copy of hot values in the JS heap.
    compression: false,
    cache: false,
    trackMetrics: false,
    permissionsMode: 0o600,
  };
}

const storeOptions = {
  keyEncoding: "binary",
  encoding: "binary",
  compression: false,
  cache: false,
  useVersions: false,
  dupSort: false,
  // Write order matters only within one key, which transactions already serialise.
  strictAsyncOrder: false,
} as const;

function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

function isSpaceError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as Error & { code?: unknown }).code;
  return (
    code === MDB_MAP_FULL || code === ENOSPC || code === "ENOSPC" || /MDB_MAP_FULL|ENOSPC/.test(error.message)
  );
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message.split("\n")[0]!.trim() : String(error);
}

/**
 * The LMDB StorageEngine: one environment per node, one sub-database per store. Reads are
 * synchronous against the latest committed snapshot; writes run as child transactions inside
 * lmdb-js's batch transaction, so concurrent writes share one commit and one fsync while each
 * stays atomic on its own.
 */
export class LmdbEngine implements StorageEngine {
  private readonly pending = new PendingWrites();
  private closed = false;

  private constructor(
    private readonly options: LmdbEngineOptions,
    private readonly root: RootDatabase,
    private readonly stores: Record<StoreName, Store>,
  ) {}

  static async open(options: LmdbEngineOptions): Promise<LmdbEngine> {
    assert(
      Number.isSafeInteger(options.mapSizeBytesMax) && options.mapSizeBytesMax >= MAP_SIZE_BYTES_MIN,
      `mapSizeBytesMax must be an integer >= ${MAP_SIZE_BYTES_MIN}, got ${options.mapSizeBytesMax}`,
    );
    let root: RootDatabase | undefined;
    try {
      // Created here rather than by lmdb-js so the failure names the directory and the reason.
      fs.mkdirSync(options.path, { recursive: true });
      fs.accessSync(options.path, fs.constants.R_OK | fs.constants.W_OK);
      root = open(environmentOptions(options));
      const opened = root;
      const stores = Object.fromEntries(
        STORE_NAMES.map((name) => [name, opened.openDB<Uint8Array, Uint8Array>({ name, ...storeOptions })]),
      ) as Record<StoreName, Store>;
      return new LmdbEngine(options, opened, stores);
    } catch (error) {
      if (root !== undefined) await root.close().catch(() => undefined);
      throw new StorageOpenError(
        `cannot open storage at ${nodePath.resolve(options.path)}: ${reason(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  get(store: StoreName, key: Uint8Array): Uint8Array | undefined {
    this.assertOpen();
    assertStorageKey(key);
    const value = this.stores[store].get(key);
    // lmdb-js may hand out views of shared buffers; callers keep values across writes.
    return value === undefined ? undefined : copyBytes(value);
  }

  update<T>(
    store: StoreName,
    key: Uint8Array,
    fn: (old: Uint8Array | undefined) => UpdateDecision<T>,
    onApplied?: (result: T) => void,
  ): Promise<T> {
    if (this.closed) return Promise.reject(new StorageClosedError("storage engine is closed"));
    assertStorageKey(key);
    const db = this.stores[store];
    // The callback runs later, in the write transaction: the caller may reuse its buffer by then.
    const ownKey = copyBytes(key);
    // The read and the write happen in one child transaction of the batch transaction, which
    // holds LMDB's single write lock: no other write to any key can interleave. lmdb-js calls
    // the callback exactly once (write.js, executeTxnCallbacks); if it throws, the child
    // transaction is aborted and the promise rejects with that same error. The result is boxed
    // so a thenable result is not mistaken for an asynchronous transaction callback.
    const write = db.childTransaction(() => {
      const stored = db.get(ownKey);
      const old = stored === undefined ? undefined : copyBytes(stored);
      const decision = fn(old);
      if (decision.write === null) {
        if (old !== undefined) db.remove(ownKey);
      } else if (decision.write !== undefined) {
        this.admit([
          { keyBytes: ownKey.length, valueBytes: decision.write.length, oldValueBytes: old?.length },
        ]);
        db.put(ownKey, decision.write);
      }
      // Outside the transaction: the caller's code must not run while LMDB's write lock is held,
      // and an exception there must not abort this write.
      if (onApplied !== undefined) queueMicrotask(() => onApplied(decision.result));
      return { result: decision.result };
    });
    return this.pending.track(write.then((box) => box.result, mapWriteError));
  }

  scan(store: StoreName, range: KeyRange = {}): Iterable<[Uint8Array, Uint8Array]> {
    this.assertOpen();
    assertKeyRange(range);
    if (range.start !== undefined) assertStorageKey(range.start);
    if (range.end !== undefined) assertStorageKey(range.end);
    return this.walk(this.stores[store], range);
  }

  /**
   * lmdb-js iterates a snapshot (one read transaction held until the iteration ends or the
   * consumer breaks out, which calls `return()` and closes the cursor). Options that are not
   * set are left out: lmdb-js treats a present-but-undefined `start` differently from none.
   */
  private *walk(db: Store, range: KeyRange): Generator<[Uint8Array, Uint8Array]> {
    const rangeOptions: { start?: Uint8Array; end?: Uint8Array; limit?: number; snapshot: boolean } = {
      snapshot: true,
    };
    if (range.start !== undefined) rangeOptions.start = copyBytes(range.start);
    if (range.end !== undefined) rangeOptions.end = copyBytes(range.end);
    if (range.limit !== undefined) rangeOptions.limit = range.limit;
    if (range.limit === 0) return;
    for (const { key, value } of db.getRange(rangeOptions)) {
      this.assertOpen();
      yield [copyBytes(key), copyBytes(value)];
    }
  }

  batch(ops: readonly BatchOp[]): Promise<void> {
    if (this.closed) return Promise.reject(new StorageClosedError("storage engine is closed"));
    for (const op of ops) assertStorageKey(op.key);
    // Copied now: the child transaction runs later and the caller may reuse its buffers.
    const owned = ops.map((op) => ({
      store: op.store,
      key: copyBytes(op.key),
      value: op.value === null ? null : copyBytes(op.value),
    }));
    // One child transaction: every op or none. A size refusal throws before any put; an LMDB
    // error in the middle aborts the child and leaves the rest of the group commit intact.
    const write = this.root.childTransaction(() => {
      const growth = owned.map((op) => {
        const stored = op.value === null ? undefined : this.stores[op.store].get(op.key);
        return {
          keyBytes: op.key.length,
          valueBytes: op.value?.length ?? 0,
          oldValueBytes: stored?.length,
          isDelete: op.value === null,
        };
      });
      this.admit(growth.filter((entry) => !entry.isDelete));
      for (const op of owned) {
        if (op.value === null) this.stores[op.store].remove(op.key);
        else this.stores[op.store].put(op.key, op.value);
      }
      return true;
    });
    return this.pending.track(write.then(() => undefined, mapWriteError));
  }

  stats(): StorageStats {
    this.assertOpen();
    const stores = Object.fromEntries(
      STORE_NAMES.map((name) => [name, { entries: (this.stores[name].getStats() as LmdbStats).entryCount }]),
    ) as StorageStats["stores"];
    return { stores, diskBytes: fs.statSync(nodePath.join(this.options.path, "data.mdb")).size };
  }

  async close(): Promise<void> {
    // A second close is a no-op: shutdown paths may reach close twice and that is not a bug.
    if (this.closed) return;
    this.closed = true;
    await this.pending.drain();
    await this.root.close();
  }

  /**
   * Refuses (by throwing inside the transaction, before anything is written) a write whose
   * estimated growth would take the pages in use beyond the limit. Runs in the write
   * transaction, so the page counts include everything written earlier in the same batch.
   */
  private admit(
    puts: readonly { keyBytes: number; valueBytes: number; oldValueBytes: number | undefined }[],
  ): void {
    let growthBytes = 0;
    for (const put of puts) {
      growthBytes += entryBytesEstimate(put.keyBytes, put.valueBytes, PAGE_SIZE_BYTES);
      if (put.oldValueBytes !== undefined) {
        growthBytes -= entryBytesEstimate(put.keyBytes, put.oldValueBytes, PAGE_SIZE_BYTES);
      }
    }
    if (growthBytes <= 0) return;
    // Measuring reads three trees' stats; far below the limit an upper bound is enough (see usedBytesBound).
    const bound = this.usedBytesBound;
    if (
      bound !== undefined &&
      this.admitsSinceMeasure < ADMITS_BETWEEN_MEASURES_MAX &&
      bound + growthBytes <= this.options.mapSizeBytesMax * UNMEASURED_FRACTION_MAX
    ) {
      this.usedBytesBound = bound + growthBytes;
      this.admitsSinceMeasure++;
      return;
    }
    const usedBytes = this.usedBytes();
    this.usedBytesBound = usedBytes + growthBytes;
    this.admitsSinceMeasure = 0;
    if (usedBytes + growthBytes > this.options.mapSizeBytesMax) {
      throw new StorageFullError(
        `storage at ${this.options.path} uses ${usedBytes} bytes, a write of about ${growthBytes} more ` +
          `would pass the limit of ${this.options.mapSizeBytesMax} bytes`,
      );
    }
  }

  /**
   * The bytes in use at the last measurement plus the estimated growth of every write admitted
   * since (deletes are not subtracted, so it only overestimates, until the next measurement).
   */
  private usedBytesBound: number | undefined;
  private admitsSinceMeasure = 0;

  /** Pages of every tree (the stores, the main tree naming them, the free list) and the metas. */
  private usedBytes(): number {
    let pages = META_PAGES;
    for (const [index, name] of STORE_NAMES.entries()) {
      const stats = this.stores[name].getStats() as LmdbStats;
      pages += treePages(stats);
      if (index === 0) pages += treePages(stats.root) + treePages(stats.free);
    }
    return pages * PAGE_SIZE_BYTES;
  }

  private assertOpen(): void {
    if (this.closed) throw new StorageClosedError("storage engine is closed");
  }
}

export function openLmdbEngine(options: LmdbEngineOptions): Promise<LmdbEngine> {
  return LmdbEngine.open(options);
}

/**
 * A failed commit rejects every write of its batch with a generic "Commit failed" error whose
 * `commitError` promise rejects with LMDB's error (write.js, rejectCommit and startWriting).
 * Out of space becomes StorageFullError; any other commit failure is reported as LMDB's own
 * error, and errors from the update function itself (or our own) pass through unchanged.
 */
async function mapWriteError(error: unknown): Promise<never> {
  let cause = error;
  const commitError =
    error instanceof Error ? (error as Error & { commitError?: unknown }).commitError : undefined;
  if (commitError instanceof Promise) {
    cause = await commitError.then(
      () => error,
      (lmdbError: unknown) => lmdbError,
    );
  }
  if (isSpaceError(cause) && !(error instanceof StorageFullError)) {
    throw new StorageFullError(`storage is out of space: ${reason(cause)}`, { cause });
  }
  throw cause;
}
