/**
 * The newest causal context this bench process has seen per key, so an update supersedes the
 * version it knows about instead of adding a sibling next to it. Bounded: past `entriesMax` the
 * oldest entry is dropped (that key's next update reads its context first).
 */
export class ContextCache {
  private readonly contexts = new Map<string, string>();

  constructor(private readonly entriesMax: number) {
    if (!Number.isSafeInteger(entriesMax) || entriesMax < 1)
      throw new RangeError(`entriesMax must be a positive integer, got ${entriesMax}`);
  }

  get(key: string): string | undefined {
    return this.contexts.get(key);
  }

  set(key: string, context: string | undefined): void {
    if (context === undefined || context === "") return;
    // Re-inserting moves the key to the newest end of the Map's insertion order.
    this.contexts.delete(key);
    this.contexts.set(key, context);
    if (this.contexts.size > this.entriesMax) {
      const oldest = this.contexts.keys().next();
      if (oldest.done !== true) this.contexts.delete(oldest.value);
    }
  }

  get size(): number {
    return this.contexts.size;
  }
}
