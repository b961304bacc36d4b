import { ConfigError } from "../errors.js";
import { type Distribution, WORKLOADS, type WorkloadName } from "./workloads.js";

/** One bench invocation: a load phase, then each workload in turn against the same records. */
export interface BenchOptions {
  /** Run in this order; YCSB runs D (which inserts) last. */
  workloads: WorkloadName[];
  /** Overrides each workload's own request distribution. */
  distribution: Distribution | undefined;
  /** Records the load phase inserts (and the run phase draws keys from). */
  records: number;
  /** Skip the load phase: the records are already in the store (same --records and key names). */
  skipLoad: boolean;
  valueBytes: number;
  /** Key names are this prefix and the hashed record number (YCSB's "user"); separates runs sharing a store. */
  keyPrefix: string;
  /** Concurrent closed-loop clients, each with at most one operation in flight. */
  connections: number;
  /** Each workload runs this long, or ... */
  durationMs: number | undefined;
  /** ... issues this many operations (exactly one of the two). */
  operations: number | undefined;
  /** Paces the run phase to this many operations per second in total (latency then counts from the planned start). */
  targetRatePerSecond: number | undefined;
  seed: number;
  /** A run stops early, as failed, after this many operations in a row failed. */
  consecutiveErrorsMax: number;
}

export const defaultBenchOptions: Omit<BenchOptions, "workloads"> = {
  distribution: undefined,
  records: 10_000,
  skipLoad: false,
  valueBytes: 1024,
  keyPrefix: "user",
  connections: 50,
  durationMs: 30_000,
  operations: undefined,
  targetRatePerSecond: undefined,
  seed: 1,
  consecutiveErrorsMax: 1000,
};

/** Limits that keep a typo from exhausting memory or running for days. */
export const BENCH_LIMITS = {
  recordsMax: 100_000_000,
  valueBytesMax: 16 * 1024 * 1024,
  connectionsMax: 10_000,
  durationMsMax: 24 * 3600 * 1000,
  operationsMax: 1_000_000_000,
} as const;

/** Throws a ConfigError naming the flag for the first unusable option. */
export function validateBenchOptions(o: BenchOptions): void {
  if (o.workloads.length === 0) throw new ConfigError("--workload needs at least one of a, b, c, d, f");
  for (const w of o.workloads)
    if (WORKLOADS[w] === undefined) throw new ConfigError(`unknown workload "${w}"`);
  checkInt(o.records, "--records", 1, BENCH_LIMITS.recordsMax);
  checkInt(o.valueBytes, "--value-bytes", 0, BENCH_LIMITS.valueBytesMax);
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(o.keyPrefix))
    throw new ConfigError(
      `--key-prefix must be 1 to 64 letters, digits, '_', '.' or '-', got "${o.keyPrefix}"`,
    );
  checkInt(o.connections, "--connections", 1, BENCH_LIMITS.connectionsMax);
  checkInt(o.seed, "--seed", 0, 0xffffffff);
  checkInt(o.consecutiveErrorsMax, "consecutiveErrorsMax", 1, Number.MAX_SAFE_INTEGER);
  if ((o.durationMs === undefined) === (o.operations === undefined))
    throw new ConfigError("give exactly one of --duration-s and --operations");
  if (o.durationMs !== undefined) checkInt(o.durationMs, "--duration-s", 1, BENCH_LIMITS.durationMsMax);
  if (o.operations !== undefined) checkInt(o.operations, "--operations", 0, BENCH_LIMITS.operationsMax);
  if (o.targetRatePerSecond !== undefined && !(o.targetRatePerSecond > 0 && o.targetRatePerSecond <= 1e7))
    throw new ConfigError(`--target-rate must be within 1..10000000 ops/s, got ${o.targetRatePerSecond}`);
}

function checkInt(value: number, flag: string, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new ConfigError(`${flag} must be an integer within ${min}..${max}, got ${value}`);
}
