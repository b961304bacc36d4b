import type { LatencySummary } from "./latency-histogram.js";
import type { OperationReport } from "./operation-stats.js";
import type { Distribution, Operation, WorkloadName } from "./workloads.js";

/** One phase's outcome: the load, or one workload's run. */
export interface PhaseResult {
  elapsedS: number;
  /** Operations that succeeded. */
  ops: number;
  errors: number;
  /** Successful operations per second of elapsed time. */
  throughputOpsPerS: number;
  /**
   * CPU time the bench process itself used during the phase (user + system). On a machine shared
   * with the store it shows how much of the cores the client took.
   */
  clientCpuS: number;
  /** Every operation of the phase together. */
  latency: LatencySummary;
  operations: Partial<Record<Operation, OperationReport>>;
  /** Up to five distinct error messages. */
  errorSamples: string[];
  /** Set when the phase stopped early because too many operations in a row failed. */
  aborted?: string;
}

export interface RunResult extends PhaseResult {
  workload: WorkloadName;
  description: string;
  distribution: Distribution;
}

/** The whole output of `ringkv bench --json`. */
export interface BenchResult {
  target: string;
  /** What each operation does against this target. */
  driver: string;
  settings: {
    records: number;
    valueBytes: number;
    keyPrefix: string;
    connections: number;
    durationS: number | null;
    operations: number | null;
    targetRateOpsPerS: number | null;
    seed: number;
    distribution: Distribution | null;
    skipLoad: boolean;
  };
  /** Null with --skip-load. */
  load: PhaseResult | null;
  runs: RunResult[];
  /** Target-specific counters over the whole invocation. */
  driverStats: Record<string, number>;
}
