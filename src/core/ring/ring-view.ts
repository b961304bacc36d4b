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
  /**
   * While ownership moves: the partition's future home replicas that are not home replicas yet.
   * Writes also go to them (so nothing written during the transfer is missing after it); reads
   * do not, since they may not hold the data yet.
   */
  incoming(partition: number): readonly string[];
}

/** A RingView over an owners array (and the pending `next` one); lists are computed once and cached. */
export function ringView(
  owners: readonly string[],
  n: number,
  version: number,
  next: readonly string[] | null = null,
): RingView {
  const lists = new Map<number, readonly string[]>();
  const incoming = new Map<number, readonly string[]>();
  const check = (partition: number): void => {
    if (!Number.isInteger(partition) || partition < 0 || partition >= owners.length) {
      throw new Error(`partition ${partition} is outside 0..${owners.length - 1}`);
    }
  };
  return {
    partitions: owners.length,
    n,
    version,
    preferenceList(partition: number): readonly string[] {
      check(partition);
      let list = lists.get(partition);
      if (list === undefined) {
        list = Object.freeze(preferenceList(owners, partition));
        lists.set(partition, list);
      }
      return list;
    },
    incoming(partition: number): readonly string[] {
      check(partition);
      if (next === null) return [];
      let list = incoming.get(partition);
      if (list === undefined) {
        const home = this.preferenceList(partition).slice(0, n);
        list = Object.freeze(preferenceList(next, partition, n).filter((id) => !home.includes(id)));
        incoming.set(partition, list);
      }
      return list;
    },
  };
}
