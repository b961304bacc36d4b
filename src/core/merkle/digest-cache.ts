/**
 * The causal digest each key last contributed to its anti-entropy tree, for the most recently
 * changed keys. A write takes its key's old digest out of the tree and puts the new one in; the
 * old one is exactly what the previous change of the key put in, so it is taken from here
 * instead of decoding and hashing the old object again (one SHA-256 over the value, and the
 * value's copy into the hash buffer, per write). Hot keys, the ones written most, hit it.
 *
 * Bounded: past `entriesMax` the least recently changed key is forgotten (its next change
 * hashes the old object, as without the cache). Keys are stored keys as latin1 strings, one
 * character per byte, so two keys are equal exactly when their bytes are.
 */
export class DigestCache {
  private readonly digests = new Map<string, Uint8Array>();

  constructor(private readonly entriesMax: number) {
    if (!Number.isSafeInteger(entriesMax) || entriesMax < 0)
      throw new RangeError(`entriesMax must be a non-negative integer, got ${entriesMax}`);
  }

  /** The digest the key's last change put in, removed from the cache; undefined when not known. */
  take(key: Uint8Array): Uint8Array | undefined {
    const name = nameOf(key);
    const digest = this.digests.get(name);
    if (digest !== undefined) this.digests.delete(name);
    return digest;
  }

  /** Remembers what the key's tree now holds for it (undefined: nothing, the key is gone). */
  put(key: Uint8Array, digest: Uint8Array | undefined): void {
    if (digest === undefined || this.entriesMax === 0) return;
    const name = nameOf(key);
    // Re-inserted at the end: Map keeps insertion order, so the first entry is the oldest.
    this.digests.delete(name);
    this.digests.set(name, digest);
    if (this.digests.size > this.entriesMax) {
      const oldest = this.digests.keys().next();
      if (oldest.done !== true) this.digests.delete(oldest.value);
    }
  }

  /** Forgets everything (the trees were rebuilt, or a partition's tree dropped). */
  clear(): void {
    this.digests.clear();
  }

  get size(): number {
    return this.digests.size;
  }
}

function nameOf(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("latin1");
}
