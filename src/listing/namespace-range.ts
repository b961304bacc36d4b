import { decodeKey, encodeKey, namespaceBase, namespaceRange } from "../core/namespace/index.js";
import type { StoredKeyRange } from "./interface.js";

/**
 * The stored keys of one namespace, narrowed to a prefix: one byte range, since the stored key
 * encoding (src/core/namespace) keeps each namespace contiguous and in UTF-8 byte order.
 */
export function listingRange(namespace: string, prefix: Uint8Array): StoredKeyRange {
  return namespaceRange(namespace, prefix);
}

/** The user key of a stored key of `namespace` (the caller listed it from that namespace's range). */
export function userKeyOf(namespace: string, stored: Uint8Array): Uint8Array {
  const decoded = decodeKey(stored);
  if (decoded !== undefined && decoded.namespace === namespace) return decoded.key;
  return stored.subarray(namespaceBase(namespace).length);
}

/** The stored key of a user key of `namespace`, for the `after` cursor. */
export function storedKeyOf(namespace: string, key: Uint8Array): Uint8Array {
  return encodeKey(namespace, key);
}
