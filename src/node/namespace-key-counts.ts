import type { NamespaceKeyCountsReport } from "../api/interface.js";
import type { Clock } from "../clock/clock.js";
import { DEFAULT_NAMESPACE, decodeKey, namespaceRange } from "../core/namespace/index.js";
import type { StorageEngine } from "../storage/engine.js";
import { objectKey, splitObjectKey } from "../storage/object-key.js";

export interface NamespaceKeyCountsOptions {
  /** A count is reused this long: the dashboard polls every second, the figure is informational. */
  refreshIntervalMs: number;
  /** One count reads at most this many stored entries, so it costs a bounded slice of the event loop. */
  entriesScannedMax: number;
  /** Namespaces one count names at most (the rest are not listed; `complete` says so). */
  namespacesMax: number;
}

export const defaultNamespaceKeyCountsOptions: NamespaceKeyCountsOptions = {
  refreshIntervalMs: 10_000,
  entriesScannedMax: 50_000,
  namespacesMax: 64,
};

/**
 * Approximate, per-node key counts by namespace. Stored keys are `partition ++ namespaced key`,
 * so each namespace is one range inside each partition: a count walks every partition's ranges,
 * jumping from one namespace to the next rather than reading every key's value, and stops at
 * entriesScannedMax. It counts what this node stores: tombstones not yet reaped, expired
 * versions not yet reclaimed, and copies of partitions it is handing off all count.
 */
export class NamespaceKeyCounts {
  private cache: NamespaceKeyCountsReport | undefined;

  constructor(
    private readonly storage: StorageEngine,
    private readonly clock: Clock,
    private readonly partitions: number,
    private readonly options: NamespaceKeyCountsOptions = defaultNamespaceKeyCountsOptions,
  ) {}

  current(): NamespaceKeyCountsReport {
    const now = this.clock.nowMs();
    if (this.cache === undefined || now - this.cache.countedAtMs >= this.options.refreshIntervalMs)
      this.cache = this.count(now);
    return this.cache;
  }

  private count(nowMs: number): NamespaceKeyCountsReport {
    const counts = new Map<string, number>();
    let budget = this.options.entriesScannedMax;
    let complete = true;
    // Counts one range of one partition into `name`; false once the budget ran out.
    const countRange = (partition: number, name: string, start: Uint8Array, end: Uint8Array): boolean => {
      let n = 0;
      for (const _ of this.storage.scan("objects", {
        start: objectKey(partition, start),
        end: objectKey(partition, end),
        limit: budget,
      }))
        n++;
      budget -= n;
      if (n > 0) counts.set(name, (counts.get(name) ?? 0) + n);
      return budget > 0;
    };
    const plain = namespaceRange(DEFAULT_NAMESPACE, new Uint8Array(0));
    partitions: for (let p = 0; p < this.partitions; p++) {
      if (!countRange(p, DEFAULT_NAMESPACE, plain.start, plain.end)) {
        complete = false;
        break;
      }
      // Namespaced keys start with 0xFF: find the first, count its namespace, jump past it.
      let cursor: Uint8Array = Uint8Array.of(0xff);
      for (;;) {
        const next = this.firstKey(p, cursor);
        if (next === undefined) break;
        const decoded = decodeKey(next);
        if (decoded === undefined) {
          // Not a key this encoding makes: step over it alone (it uses the budget like any key).
          budget--;
          if (budget <= 0) {
            complete = false;
            break partitions;
          }
          cursor = new Uint8Array([...next, 0]);
          continue;
        }
        if (!counts.has(decoded.namespace) && counts.size >= this.options.namespacesMax) {
          complete = false;
          break partitions;
        }
        const range = namespaceRange(decoded.namespace, new Uint8Array(0));
        if (!countRange(p, decoded.namespace, range.start, range.end)) {
          complete = false;
          break partitions;
        }
        cursor = range.end;
      }
    }
    const namespaces = [...counts]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, keys]) => ({ name, keys }));
    return { namespaces, complete, countedAtMs: nowMs };
  }

  /** The first stored key of `partition` at or after `from` among namespaced keys, without its partition prefix. */
  private firstKey(partition: number, from: Uint8Array): Uint8Array | undefined {
    for (const [key] of this.storage.scan("objects", {
      start: objectKey(partition, from),
      end: objectKey(partition, Uint8Array.of(0xff, 0xff)),
      limit: 1,
    }))
      return splitObjectKey(key).key;
    return undefined;
  }
}
