/** The YCSB-style workload generator behind `ringkv bench`. */

export { SeededRandom } from "../random/seeded-random.js";
export {
  BENCH_LIMITS,
  type BenchOptions,
  defaultBenchOptions,
  validateBenchOptions,
} from "./bench-options.js";
export type { BenchResult, PhaseResult, RunResult } from "./bench-result.js";
export { CoreWorkload, keyName } from "./core-workload.js";
export type { BenchConnection, BenchDriver, ReadOutcome } from "./drivers/driver.js";
export { openDriver, TARGETS, type Target, type TargetOptions } from "./drivers/open-driver.js";
export { LatencyHistogram, type LatencySummary } from "./latency-histogram.js";
export { formatBenchReport, formatProgress } from "./report.js";
export { runBench } from "./run-bench.js";
export type { Progress, RunnerHooks } from "./runner.js";
export {
  DISTRIBUTIONS,
  type Distribution,
  isDistribution,
  isWorkloadName,
  OPERATIONS,
  type Operation,
  WORKLOAD_NAMES,
  WORKLOADS,
  type WorkloadName,
  type WorkloadSpec,
} from "./workloads.js";
