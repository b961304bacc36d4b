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
   * The home replicas of a key with `n` replicas (default: the ring's N): the first n of the
   * preference list (a namespace's n may be above or below N; core/namespace/replica-counts.ts).
   */
  home(partition: number, n?: number): readonly string[];
  /**
   * While ownership moves: the partition's future home replicas (for a key with `n` replicas,
   * default the ring's N) that are not home replicas yet. Writes also go to them (so nothing
   * written during the transfer is missing after it); reads do not, since they may not hold the
   * data yet.
   */
  incoming(partition: number, n?: number): readonly string[];
}

/** Replica counts a ring view answers for: 1..127 (cluster N is at most 64, a namespace's 16). */
const N_KEY_STRIDE = 128;

/** A RingView over an owners array (and the pending `next` one); lists are computed once and cached. */
export function ringView(
  owners: readonly string[],
  n: number,
  version: number,
  next: readonly string[] | null = null,
): RingView {
  const lists = new Map<number, readonly string[]>();
  /** Keyed by partition * (N_KEY_STRIDE) + n. */
  const homes = new Map<number, readonly string[]>();
  const incoming = new Map<number, readonly string[]>();
  const checkN = (count: number): void => {
    if (!Number.isInteger(count) || count < 1 || count >= N_KEY_STRIDE)
      throw new RangeError(`replica count ${count} is outside 1..${N_KEY_STRIDE - 1}`);
  };
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
    home(partition: number, count: number = n): readonly string[] {
      check(partition);
      checkN(count);
      const id = partition * N_KEY_STRIDE + count;
      let list = homes.get(id);
      if (list === undefined) {
        list = Object.freeze(this.preferenceList(partition).slice(0, count));
        homes.set(id, list);
      }
      return list;
    },
    incoming(partition: number, count: number = n): readonly string[] {
      check(partition);
      checkN(count);
      if (next === null) return [];
      const id = partition * N_KEY_STRIDE + count;
      let list = incoming.get(id);
      if (list === undefined) {
        const home = this.home(partition, count);
        list = Object.freeze(preferenceList(next, partition, count).filter((id) => !home.includes(id)));
        incoming.set(id, list);
      }
      return list;
    },
  };
}
