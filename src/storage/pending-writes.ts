/**
 * The writes an engine has accepted but not yet settled, so `close()` can wait for them: a write
 * whose promise the caller holds must resolve or reject, never be cut off by closing the files.
 */
export class PendingWrites {
  private readonly pending = new Set<Promise<unknown>>();

  track<T>(write: Promise<T>): Promise<T> {
    const settled = write.then(
      () => undefined,
      () => undefined,
    );
    this.pending.add(settled);
    void settled.then(() => this.pending.delete(settled));
    return write;
  }

  get size(): number {
    return this.pending.size;
  }

  /** Resolves once every tracked write has settled (successfully or not). */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
  }
}
