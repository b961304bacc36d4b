import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { defaultBenchOptions } from "../../../src/bench/bench-options.js";
import type { BenchConnection, BenchDriver, ReadOutcome } from "../../../src/bench/drivers/driver.js";
import { runBench } from "../../../src/bench/run-bench.js";
import type { Operation } from "../../../src/bench/workloads.js";

/** A store in a Map, answering on the next tick; `failing` makes every call throw. */
class MemoryDriver implements BenchDriver, BenchConnection {
  readonly target = "memory";
  readonly description = "a Map";
  readonly data = new Map<string, Uint8Array>();
  readonly calls: Record<Operation, number> = { read: 0, update: 0, insert: 0, readModifyWrite: 0 };
  inFlight = 0;
  inFlightMax = 0;
  failing = false;

  connection(): BenchConnection {
    return this;
  }
  stats(): Record<string, number> {
    return { keys: this.data.size };
  }
  async close(): Promise<void> {}

  private async tick(): Promise<void> {
    this.inFlight++;
    this.inFlightMax = Math.max(this.inFlightMax, this.inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    this.inFlight--;
    if (this.failing) throw new Error("store is down");
  }
  async read(key: string): Promise<ReadOutcome> {
    this.calls.read++;
    await this.tick();
    return this.data.has(key) ? "found" : "not-found";
  }
  async update(key: string, value: Uint8Array): Promise<void> {
    this.calls.update++;
    await this.tick();
    this.data.set(key, value);
  }
  async insert(key: string, value: Uint8Array): Promise<void> {
    this.calls.insert++;
    await this.tick();
    this.data.set(key, value);
  }
  async readModifyWrite(key: string, value: Uint8Array): Promise<ReadOutcome> {
    this.calls.readModifyWrite++;
    await this.tick();
    const found = this.data.has(key);
    this.data.set(key, value);
    return found ? "found" : "not-found";
  }
}

const base = { ...defaultBenchOptions, records: 200, valueBytes: 16, connections: 8 };

describe("bench runner", () => {
  test("loads every record, then runs exactly --operations per workload, never above --connections in flight", async () => {
    const driver = new MemoryDriver();
    const result = await runBench(
      { ...base, workloads: ["a", "d"], durationMs: undefined, operations: 1000 },
      driver,
    );
    assert.equal(result.load?.ops, 200);
    assert.equal(result.load?.errors, 0);
    assert.equal(result.runs.length, 2);
    for (const run of result.runs) {
      assert.equal(run.ops, 1000);
      assert.equal(run.errors, 0);
      const byOp = Object.values(run.operations).reduce((s, r) => s + (r?.ops ?? 0), 0);
      assert.equal(byOp, 1000);
      // Every key read was loaded or inserted before: nothing is missing.
      assert.equal(run.operations.read?.notFound, 0);
      assert.ok(run.latency.count === 1000 && run.latency.p50Ms > 0);
    }
    const d = result.runs[1]!;
    assert.equal(driver.data.size, 200 + (d.operations.insert?.ops ?? 0));
    assert.ok(driver.inFlightMax <= 8 && driver.inFlightMax >= 2, `in flight ${driver.inFlightMax}`);
    assert.deepEqual(result.driverStats, { keys: driver.data.size });
  });

  test("a duration-bound run stops on time", async () => {
    const driver = new MemoryDriver();
    const started = Date.now();
    const result = await runBench(
      { ...base, workloads: ["c"], durationMs: 300, operations: undefined },
      driver,
    );
    const tookMs = Date.now() - started;
    assert.ok(result.runs[0]!.ops > 0);
    assert.ok(
      result.runs[0]!.elapsedS >= 0.3 && result.runs[0]!.elapsedS < 1,
      `${result.runs[0]!.elapsedS} s`,
    );
    assert.ok(tookMs < 5000);
  });

  test("--target-rate paces the run and reports latency from the planned start too", async () => {
    const driver = new MemoryDriver();
    const result = await runBench(
      {
        ...base,
        skipLoad: true,
        workloads: ["c"],
        durationMs: undefined,
        operations: 40,
        targetRatePerSecond: 100,
      },
      driver,
    );
    const run = result.runs[0]!;
    assert.equal(result.load, null);
    assert.equal(run.ops, 40);
    // 40 operations at 100/s take about 0.39 s.
    assert.ok(run.elapsedS >= 0.35, `${run.elapsedS} s`);
    assert.ok(run.operations.read?.intendedLatency !== undefined);
    // Skipped load: every read misses, and says so.
    assert.equal(run.operations.read?.notFound, 40);
  });

  test("a store that fails every call: errors counted, the phase stops early, a sample of the error kept", async () => {
    const driver = new MemoryDriver();
    driver.failing = true;
    const result = await runBench(
      { ...base, workloads: ["a"], durationMs: 60_000, operations: undefined, consecutiveErrorsMax: 50 },
      driver,
    );
    assert.ok(result.load !== null);
    assert.match(result.load.aborted ?? "", /in a row failed/);
    assert.ok(result.load.errors >= 50 && result.load.errors < 200);
    assert.deepEqual(result.load.errorSamples, ["insert: store is down"]);
    assert.equal(result.runs.length, 0, "no run after a failed load");
  });
});
