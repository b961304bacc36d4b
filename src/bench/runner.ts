import { SeededRandom } from "../random/seeded-random.js";
import type { BenchOptions } from "./bench-options.js";
import type { PhaseResult, RunResult } from "./bench-result.js";
import { CoreWorkload, keyName } from "./core-workload.js";
import type { BenchConnection, BenchDriver, ReadOutcome } from "./drivers/driver.js";
import { PhaseStats } from "./operation-stats.js";
import { Pacer } from "./pacer.js";
import { ValuePool } from "./value-pool.js";
import { type Operation, WORKLOADS } from "./workloads.js";

/** What a progress line shows, reported about once a second while a phase runs. */
export interface Progress {
  phase: string;
  elapsedMs: number;
  ops: number;
  errors: number;
}

export interface RunnerHooks {
  onProgress?: (progress: Progress) => void;
  progressIntervalMs?: number;
}

/**
 * Drives a store through the load phase and then each workload, with `connections` concurrent
 * closed-loop clients. Everything runs on this process's event loop: a client awaits its answer
 * before starting its next operation, so the bench itself adds no queueing of its own.
 */
export class BenchRunner {
  private readonly random: SeededRandom;
  private readonly values: ValuePool;
  /** Records in the store: the loaded ones plus those workload D inserted. */
  private records: number;

  constructor(
    private readonly options: BenchOptions,
    private readonly driver: BenchDriver,
    private readonly hooks: RunnerHooks = {},
  ) {
    this.random = new SeededRandom(options.seed);
    this.values = new ValuePool(this.random.fork(), options.valueBytes);
    this.records = options.records;
  }

  /** Inserts records 0..records-1 (YCSB's load phase). */
  async load(): Promise<PhaseResult> {
    const stats = new PhaseStats(false);
    let nextRecord = 0;
    const total = this.options.records;
    return this.phase("load", stats, async (connection) => {
      while (nextRecord < total && !this.abortedBy(stats)) {
        const record = nextRecord++;
        const started = performance.now();
        try {
          await connection.insert(keyName(record, this.options.keyPrefix), this.values.next());
          const micros = (performance.now() - started) * 1000;
          stats.recordSuccess("insert", micros, micros, false);
        } catch (error) {
          stats.recordError("insert", error);
        }
      }
    });
  }

  /** Runs one workload for the configured duration or number of operations. */
  async run(workloadName: BenchOptions["workloads"][number]): Promise<RunResult> {
    const spec = WORKLOADS[workloadName];
    const workload = new CoreWorkload(
      spec,
      {
        records: this.records,
        operations: this.options.operations,
        distribution: this.options.distribution,
        keyPrefix: this.options.keyPrefix,
      },
      this.random.fork(),
    );
    const paced = this.options.targetRatePerSecond !== undefined;
    const stats = new PhaseStats(paced);
    const startMs = performance.now();
    const pacer =
      this.options.targetRatePerSecond === undefined
        ? undefined
        : new Pacer(startMs, this.options.targetRatePerSecond);
    const endMs = this.options.durationMs === undefined ? Infinity : startMs + this.options.durationMs;
    const operationsMax = this.options.operations ?? Infinity;
    let issued = 0;
    const result = await this.phase(`run ${workloadName}`, stats, async (connection) => {
      for (;;) {
        if (issued >= operationsMax || this.abortedBy(stats)) return;
        const plannedMs = pacer === undefined ? undefined : await pacer.next();
        if (performance.now() >= endMs) return;
        if (issued >= operationsMax) return;
        issued++;
        const planned = workload.next();
        const started = performance.now();
        try {
          const outcome = await this.perform(connection, planned.operation, planned.key);
          const done = performance.now();
          // Timers round to whole milliseconds and may start an operation a little before its
          // planned time; from the planned start is never less than from the actual one.
          stats.recordSuccess(
            planned.operation,
            (done - started) * 1000,
            (done - Math.min(plannedMs ?? started, started)) * 1000,
            outcome === "not-found",
          );
        } catch (error) {
          stats.recordError(planned.operation, error);
        } finally {
          if (planned.insertedRecord !== undefined) workload.acknowledgeInsert(planned.insertedRecord);
        }
      }
    });
    this.records = workload.recordsAcknowledged;
    return {
      workload: workloadName,
      description: spec.description,
      distribution: workload.distribution,
      ...result,
    };
  }

  /** Performs one operation; resolves with what a read found (undefined for a pure write). */
  private async perform(
    connection: BenchConnection,
    operation: Operation,
    key: string,
  ): Promise<ReadOutcome | undefined> {
    switch (operation) {
      case "read":
        return connection.read(key);
      case "update":
        await connection.update(key, this.values.next());
        return undefined;
      case "insert":
        await connection.insert(key, this.values.next());
        return undefined;
      case "readModifyWrite":
        return connection.readModifyWrite(key, this.values.next());
    }
  }

  private abortedBy(stats: PhaseStats): boolean {
    return stats.consecutiveErrors >= this.options.consecutiveErrorsMax;
  }

  /** Runs `client` once per connection concurrently, reporting progress, and summarizes the phase. */
  private async phase(
    name: string,
    stats: PhaseStats,
    client: (connection: BenchConnection) => Promise<void>,
  ): Promise<PhaseResult> {
    const startMs = performance.now();
    const cpuAtStart = process.cpuUsage();
    const report = (): void =>
      this.hooks.onProgress?.({
        phase: name,
        elapsedMs: performance.now() - startMs,
        ops: stats.ops,
        errors: stats.errors,
      });
    const ticker =
      this.hooks.onProgress === undefined
        ? undefined
        : setInterval(report, this.hooks.progressIntervalMs ?? 1000);
    try {
      const clients: Promise<void>[] = [];
      for (let i = 0; i < this.options.connections; i++) clients.push(client(this.driver.connection(i)));
      await Promise.all(clients);
    } finally {
      clearInterval(ticker);
    }
    report();
    const elapsedS = (performance.now() - startMs) / 1000;
    const cpu = process.cpuUsage(cpuAtStart);
    const ops = stats.ops;
    const result: PhaseResult = {
      elapsedS: round(elapsedS, 3),
      ops,
      errors: stats.errors,
      throughputOpsPerS: elapsedS > 0 ? round(ops / elapsedS, 1) : 0,
      clientCpuS: round((cpu.user + cpu.system) / 1e6, 2),
      latency: stats.overall(),
      operations: stats.operations(),
      errorSamples: stats.errorSamples,
    };
    if (this.abortedBy(stats))
      result.aborted = `stopped after ${stats.consecutiveErrors} operations in a row failed`;
    return result;
  }
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
