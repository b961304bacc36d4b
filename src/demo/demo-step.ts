import type { DemoCluster } from "./demo-cluster.js";
import type { Narrator } from "./narrator.js";

/** What the steps share: the cluster, the narration, and what earlier steps wrote. */
export interface DemoContext {
  cluster: DemoCluster;
  say: Narrator;
  n: number;
  r: number;
  w: number;
  partitions: number;
  /** Bounds every wait for the cluster to do something (a join, noticing a failure, a hand-over). */
  waitMs: number;
  /** Keys written so far and the value each must still have; the last step reads them all back. */
  written: Map<string, string>;
  /** Set by step 3 for step 4. */
  failover?: { key: string; value: string; victim: string; fallback: string };
  /** Set by step 2: the node that joined, and a key it is a home replica of. */
  joined?: { id: string; key: string };
}

export interface DemoStep {
  title: string;
  run(ctx: DemoContext): Promise<void>;
}
