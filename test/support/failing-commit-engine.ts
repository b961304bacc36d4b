import type { StorageEngine, UpdateDecision } from "../../src/storage/engine.js";
import { MemoryEngine } from "../../src/storage/memory-engine.js";

/** A memory engine whose next commit fails after the write was applied (a failed fsync). */
export class FailingCommitEngine extends MemoryEngine {
  failNext = false;
  /** Commits failed on purpose so far: a test asserts the failure it staged happened. */
  failed = 0;
  override update<T>(
    store: Parameters<StorageEngine["update"]>[0],
    key: Uint8Array,
    fn: (old: Uint8Array | undefined) => UpdateDecision<T>,
    onApplied?: (result: T) => void,
  ): Promise<T> {
    const written = super.update(store, key, fn, onApplied);
    if (!this.failNext) return written;
    this.failNext = false;
    this.failed += 1;
    return written.then(() => Promise.reject(new Error("fdatasync: EIO")));
  }
}
