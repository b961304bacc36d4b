import assert from "node:assert/strict";
import type { KeyRange } from "./engine.js";

/**
 * The largest key LMDB accepts with 4 KiB pages (lmdb-js DEFAULT_MAX_KEY_SIZE). Every engine
 * enforces the same bound so that code tested against the memory engine cannot produce keys the
 * LMDB engine refuses. An object key (4-byte partition ++ user key of at most 1024 bytes) fits.
 */
export const STORAGE_KEY_BYTES_MAX = 1978;

/**
 * Keys reach the engine from ringkv's own code, which validated user input long before, so a bad
 * key here is a bug: it fails an assertion, not a typed error. LMDB cannot store empty keys.
 */
export function assertStorageKey(key: Uint8Array): void {
  assert(
    key.length >= 1 && key.length <= STORAGE_KEY_BYTES_MAX,
    `storage keys are 1..${STORAGE_KEY_BYTES_MAX} bytes, got ${key.length}`,
  );
}

/** A scan range is built by ringkv's code too: a negative or fractional limit is a bug. */
export function assertKeyRange(range: KeyRange): void {
  if (range.limit !== undefined) {
    assert(
      Number.isInteger(range.limit) && range.limit >= 0,
      `scan limit must be an integer >= 0, got ${range.limit}`,
    );
  }
}
