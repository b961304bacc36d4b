/** What crash-writer.ts and crash-durability.test.ts agree on. */

export const MAP_SIZE_BYTES_MAX = 1024 * 1024 * 1024;
/** Writes the child keeps in flight, so commits are shared by many writes (group commit). */
export const IN_FLIGHT_WRITES = 64;
export const KEYS_PER_BATCH = 4;

/**
 * The value stored under a key: derived from the key alone, so the parent can check it, and of
 * varying length (up to about 6 KiB) so some values live in leaf pages and some in overflow pages.
 */
export function crashValue(key: string): Uint8Array {
  let hash = 0;
  for (const char of key) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) >>> 0;
  const text = `${key}:${hash}:`;
  return new TextEncoder().encode(text.repeat(1 + (hash % 400)));
}
