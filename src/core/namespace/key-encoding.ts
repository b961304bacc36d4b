import { DEFAULT_NAMESPACE, isNamespaceName } from "./name.js";

/**
 * The stored key of a user key in a namespace. A key of `default` is its UTF-8 bytes unchanged,
 * so data written before namespaces existed stays readable; a key of namespace `ns` is
 * 0xFF ++ ascii(ns) ++ 0x00 ++ key. UTF-8 never holds the byte 0xFF and a name never holds 0x00,
 * so a stored key names exactly one (namespace, key) pair, every namespace is one contiguous
 * byte range, and within it keys sort in their own byte order.
 */

/** The first byte of every stored key outside `default`. */
const NAMESPACED_MARK = 0xff;
/** Ends the namespace name inside a stored key. */
const NAME_END = 0x00;

/** A stored key is at most this much longer than its user key: the mark, a 64-byte name, its end. */
export const NAMESPACE_KEY_OVERHEAD_BYTES = 1 + 64 + 1;

export interface NamespacedKey {
  readonly namespace: string;
  readonly key: Uint8Array;
}

export function encodeKey(namespace: string, key: Uint8Array): Uint8Array {
  return concat(namespaceBase(namespace), key);
}

/** Inverse of encodeKey; undefined for bytes encodeKey never produces (a bad name, no terminator). */
export function decodeKey(stored: Uint8Array): NamespacedKey | undefined {
  if (stored[0] !== NAMESPACED_MARK) return { namespace: DEFAULT_NAMESPACE, key: stored };
  const end = stored.indexOf(NAME_END, 1);
  if (end === -1) return undefined;
  const namespace = Buffer.from(stored.buffer, stored.byteOffset + 1, end - 1).toString("latin1");
  if (!isNamespaceName(namespace) || namespace === DEFAULT_NAMESPACE) return undefined;
  return { namespace, key: stored.subarray(end + 1) };
}

/** The namespace of a stored key, or `default` for bytes that are not a namespaced key. */
export function namespaceOf(stored: Uint8Array): string {
  return decodeKey(stored)?.namespace ?? DEFAULT_NAMESPACE;
}

/** Every stored key of `namespace` starts with these bytes (none for `default`). */
export function namespaceBase(namespace: string): Uint8Array {
  if (namespace === DEFAULT_NAMESPACE) return new Uint8Array(0);
  if (!isNamespaceName(namespace)) throw new Error(`not a namespace name: ${namespace.slice(0, 80)}`);
  return concat(Uint8Array.of(NAMESPACED_MARK), ascii(namespace), Uint8Array.of(NAME_END));
}

/** A range of stored keys: `start` inclusive, `end` exclusive. */
export interface StoredRange {
  readonly start: Uint8Array;
  readonly end: Uint8Array;
}

/** The stored keys of `namespace` whose user key starts with `prefix`, as one byte range. */
export function namespaceRange(namespace: string, prefix: Uint8Array): StoredRange {
  const start = encodeKey(namespace, prefix);
  if (prefix.length > 0) return { start, end: prefixEnd(start) };
  return namespace === DEFAULT_NAMESPACE
    ? { start, end: Uint8Array.of(NAMESPACED_MARK) }
    : { start, end: concat(Uint8Array.of(NAMESPACED_MARK), ascii(namespace), Uint8Array.of(NAME_END + 1)) };
}

/** The least byte string above every string that starts with `prefix`. */
function prefixEnd(prefix: Uint8Array): Uint8Array {
  const end = prefix.slice();
  let i = end.length - 1;
  while (i >= 0 && end[i] === 0xff) i--;
  // Only an all-0xFF prefix gets here; no stored key is one (UTF-8 and names never hold 0xFF).
  if (i < 0) return Uint8Array.of(0xff);
  end[i] = (end[i] as number) + 1;
  return end.subarray(0, i + 1);
}

function ascii(text: string): Uint8Array {
  return Buffer.from(text, "latin1");
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
