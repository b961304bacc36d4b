import { type BenchOptions, validateBenchOptions } from "./bench-options.js";
import type { BenchResult } from "./bench-result.js";
import type { BenchDriver } from "./drivers/driver.js";
import { BenchRunner, type RunnerHooks } from "./runner.js";

/** The load phase (unless skipped), then every workload in order; the driver stays open for the caller to close. */
export async function runBench(
  options: BenchOptions,
  driver: BenchDriver,
  hooks: RunnerHooks = {},
): Promise<BenchResult> {
  validateBenchOptions(options);
  const runner = new BenchRunner(options, driver, hooks);
  const load = options.skipLoad ? null : await runner.load();
  const runs = [];
  // A load that could not write anything leaves nothing to measure.
  if (load === null || load.aborted === undefined) {
    for (const workload of options.workloads) {
      const run = await runner.run(workload);
      runs.push(run);
      if (run.aborted !== undefined) break;
    }
  }
  return {
    target: driver.target,
    driver: driver.description,
    settings: {
      records: options.records,
      valueBytes: options.valueBytes,
      keyPrefix: options.keyPrefix,
      connections: options.connections,
      durationS: options.durationMs === undefined ? null : options.durationMs / 1000,
      operations: options.operations ?? null,
      targetRateOpsPerS: options.targetRatePerSecond ?? null,
      seed: options.seed,
      distribution: options.distribution ?? null,
      skipLoad: options.skipLoad,
    },
    load,
    runs,
    driverStats: driver.stats(),
  };
}
