/**
 * Listing keys (API.md "Listing keys"): every node answers for the partitions it holds, in key
 * order (local-keys.ts); the node a client asks merges those answers over a coverage plan, a few
 * replicas per partition (coverage.ts, key-lister.ts). Keys here are the stored (namespaced)
 * bytes; the HTTP edge turns a namespace and a prefix into a range and back (src/core/namespace).
 */

/** A range of stored keys: `start` inclusive, `end` exclusive (undefined: no upper bound). */
export interface StoredKeyRange {
  readonly start: Uint8Array;
  readonly end: Uint8Array | undefined;
}

/** One key a replica holds in a listed range, and whether its copy there has a live value. */
export interface ListedKey {
  readonly key: Uint8Array;
  readonly live: boolean;
}

/** What one node asks another (or itself) for: keys of some partitions, after a cursor. */
export interface ListBatchRequest {
  readonly partitions: readonly number[];
  readonly range: StoredKeyRange;
  /** Only keys after this one (exclusive); undefined: from the range's start. */
  readonly after: Uint8Array | undefined;
  /** At most this many keys (live or not). */
  readonly limit: number;
}

/** Keys in ascending byte order over every partition asked for; `more`: some may follow the last. */
export interface ListBatch {
  readonly keys: ListedKey[];
  readonly more: boolean;
}

/** One page of a listing: live stored keys in order; `next` is where the next page starts after, or null at the end. */
export interface ListPage {
  readonly keys: Uint8Array[];
  readonly next: Uint8Array | null;
}
