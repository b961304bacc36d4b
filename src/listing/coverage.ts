import { preferenceList } from "../core/ring/index.js";

/** Which node answers for which partitions: `r` up home replicas per partition. */
export interface CoveragePlan {
  /** node id -> the partitions it is asked for, ascending. */
  readonly byNode: ReadonlyMap<string, number[]>;
  /** partition -> the nodes asked for it (its `r` replicas). */
  readonly replicasOf: readonly (readonly string[])[];
}

/** A partition with fewer than `r` home replicas up: the listing cannot cover it. */
export interface CoverageGap {
  readonly partition: number;
  readonly up: number;
}

/**
 * A coverage plan (as Riak's): for every partition, `r` of its n home replicas that are up, this
 * node first when it is one (no hop), then in preference-list order. With r + w > n every write
 * acknowledged by w home replicas is held by one of the r asked. Pure: the ring and liveness in,
 * the plan out.
 */
export function coveragePlan(
  owners: readonly string[],
  n: number,
  r: number,
  selfId: string,
  isUp: (id: string) => boolean,
): CoveragePlan | CoverageGap {
  const byNode = new Map<string, number[]>();
  const replicasOf: string[][] = [];
  for (let p = 0; p < owners.length; p++) {
    const up = preferenceList(owners, p, n).filter((id) => id === selfId || isUp(id));
    if (up.length < r) return { partition: p, up: up.length };
    const chosen = [...up.filter((id) => id === selfId), ...up.filter((id) => id !== selfId)].slice(0, r);
    replicasOf.push(chosen);
    for (const id of chosen) {
      const list = byNode.get(id) ?? [];
      list.push(p);
      byNode.set(id, list);
    }
  }
  return { byNode, replicasOf };
}

export function isCoverageGap(plan: CoveragePlan | CoverageGap): plan is CoverageGap {
  return "partition" in plan;
}
