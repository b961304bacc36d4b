/**
 * The ring: Q equal partitions of the hash space, each with a preference list of distinct nodes.
 * The first N entries of a partition's list are its home replicas.
 */
export interface RingView {
  readonly partitions: number;
  readonly n: number;
  /** The preference list of a partition: distinct node ids, home replicas first. */
  preferenceList(partition: number): readonly string[];
}

/** The ring of a cluster with one member: it owns every partition. */
export function singleNodeRing(nodeId: string, partitions: number, n: number): RingView {
  const list = Object.freeze([nodeId]);
  return {
    partitions,
    n,
    preferenceList(partition: number): readonly string[] {
      if (!Number.isInteger(partition) || partition < 0 || partition >= partitions) {
        throw new Error(`partition ${partition} is outside 0..${partitions - 1}`);
      }
      return list;
    },
  };
}
