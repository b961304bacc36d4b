import type { StoredKeyRange } from "./interface.js";

/**
 * The stored keys of one namespace, narrowed to a prefix. Stored keys are the namespaced keys of
 * src/core/namespace: a key of `default` is its UTF-8 bytes (never 0xFF, which UTF-8 never
 * holds), a key of namespace ns is 0xFF ++ ns ++ 0x00 ++ key; so one namespace is one byte
 * range, and within it keys sort in UTF-8 byte order.
 */
export function listingRange(namespace: string, prefix: Uint8Array): StoredKeyRange {
  const base = namespaceBase(namespace);
  const start = concat(base, prefix);
  if (prefix.length > 0) return { start, end: prefixEnd(start) };
  return namespace === DEFAULT_NAMESPACE
    ? { start, end: Uint8Array.of(0xff) }
    : { start, end: concat(Uint8Array.of(0xff), ascii(namespace), Uint8Array.of(0x01)) };
}

/** The user key of a stored key of `namespace` (the caller listed it from that namespace's range). */
export function userKeyOf(namespace: string, stored: Uint8Array): Uint8Array {
  return stored.subarray(namespaceBase(namespace).length);
}

/** The stored key of a user key of `namespace`, for the `after` cursor. */
export function storedKeyOf(namespace: string, key: Uint8Array): Uint8Array {
  return concat(namespaceBase(namespace), key);
}

const DEFAULT_NAMESPACE = "default";

function namespaceBase(namespace: string): Uint8Array {
  if (namespace === DEFAULT_NAMESPACE) return new Uint8Array(0);
  return concat(Uint8Array.of(0xff), ascii(namespace), Uint8Array.of(0x00));
}

/** The least byte string above every string that starts with `prefix` (its last byte is never 0xff here). */
function prefixEnd(prefix: Uint8Array): Uint8Array {
  const end = prefix.slice();
  let i = end.length - 1;
  while (i >= 0 && end[i] === 0xff) i--;
  if (i < 0) return Uint8Array.of(0xff);
  end[i] = (end[i] as number) + 1;
  return end.subarray(0, i + 1);
}

function ascii(text: string): Uint8Array {
  return new TextEncoder().encode(text);
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
