import { preferenceList } from "./preference-list.js";

/**
 * The ring as the coordinator sees it: Q equal partitions, each with a preference list of
 * distinct nodes whose first N entries are the partition's home replicas.
 */
export interface RingView {
  readonly partitions: number;
  readonly n: number;
  readonly version: number;
  /** The preference list of a partition: distinct node ids, home replicas first, then fallbacks. */
  preferenceList(partition: number): readonly string[];
}

/** A RingView over an owners array; preference lists are computed once and cached. */
export function ringView(owners: readonly string[], n: number, version: number): RingView {
  const cache = new Map<number, readonly string[]>();
  return {
    partitions: owners.length,
    n,
    version,
    preferenceList(partition: number): readonly string[] {
      if (!Number.isInteger(partition) || partition < 0 || partition >= owners.length) {
        throw new Error(`partition ${partition} is outside 0..${owners.length - 1}`);
      }
      let list = cache.get(partition);
      if (list === undefined) {
        list = Object.freeze(preferenceList(owners, partition));
        cache.set(partition, list);
      }
      return list;
    },
  };
}
