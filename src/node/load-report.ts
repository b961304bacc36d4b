import type { Clock } from "../clock/clock.js";
import type { MemberLoad } from "../core/membership/cluster-state.js";
import type { StorageEngine } from "../storage/engine.js";

/**
 * What this node stores, for gossip and /cluster/members. Storage stats are read at most once
 * per `refreshIntervalMs`: gossip asks every round and the numbers are informational.
 */
export class LoadReport {
  private cache: { atMs: number; load: MemberLoad } | undefined;

  constructor(
    private readonly storage: StorageEngine,
    private readonly clock: Clock,
    private readonly refreshIntervalMs: number,
  ) {}

  current(): MemberLoad {
    const now = this.clock.nowMs();
    if (this.cache === undefined || now - this.cache.atMs >= this.refreshIntervalMs) {
      const stats = this.storage.stats();
      this.cache = {
        atMs: now,
        load: {
          keys: stats.stores.objects.entries,
          hints: stats.stores.hints.entries,
          diskBytes: stats.diskBytes,
        },
      };
    }
    return this.cache.load;
  }
}
