import { LatencyHistogram, type LatencySummary } from "./latency-histogram.js";
import type { Operation } from "./workloads.js";

/** What one kind of operation did during a phase. */
export interface OperationReport {
  /** Operations that succeeded (a read that found nothing counts, see notFound). */
  ops: number;
  errors: number;
  /** Reads (and the read of a read-modify-write) that found no value. */
  notFound: number;
  /** From the moment the request was sent to its answer. */
  latency: LatencySummary;
  /** With --target-rate only: from the planned start, so queueing behind a slow store counts. */
  intendedLatency?: LatencySummary;
}

/** Bounded sample of distinct error messages, for telling the user what went wrong. */
const ERROR_SAMPLES_MAX = 5;

/** Counters and histograms of one phase (the load, or one workload's run). */
export class PhaseStats {
  private readonly byOperation = new Map<
    Operation,
    { ops: number; errors: number; notFound: number; latency: LatencyHistogram; intended: LatencyHistogram }
  >();
  readonly errorSamples: string[] = [];
  consecutiveErrors = 0;

  constructor(private readonly paced: boolean) {}

  get ops(): number {
    let total = 0;
    for (const s of this.byOperation.values()) total += s.ops;
    return total;
  }

  get errors(): number {
    let total = 0;
    for (const s of this.byOperation.values()) total += s.errors;
    return total;
  }

  recordSuccess(
    operation: Operation,
    latencyMicros: number,
    intendedMicros: number,
    notFound: boolean,
  ): void {
    const s = this.of(operation);
    s.ops++;
    if (notFound) s.notFound++;
    s.latency.recordMicros(latencyMicros);
    if (this.paced) s.intended.recordMicros(intendedMicros);
    this.consecutiveErrors = 0;
  }

  recordError(operation: Operation, error: unknown): void {
    this.of(operation).errors++;
    this.consecutiveErrors++;
    const message = `${operation}: ${error instanceof Error ? error.message : String(error)}`;
    if (this.errorSamples.length < ERROR_SAMPLES_MAX && !this.errorSamples.includes(message))
      this.errorSamples.push(message);
  }

  /** Per operation, in a stable order, only those that ran. */
  operations(): Partial<Record<Operation, OperationReport>> {
    const out: Partial<Record<Operation, OperationReport>> = {};
    for (const [operation, s] of [...this.byOperation.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const report: OperationReport = {
        ops: s.ops,
        errors: s.errors,
        notFound: s.notFound,
        latency: s.latency.summary(),
      };
      if (this.paced) report.intendedLatency = s.intended.summary();
      out[operation] = report;
    }
    return out;
  }

  /** Latency over every operation of the phase. */
  overall(): LatencySummary {
    const all = new LatencyHistogram();
    for (const s of this.byOperation.values()) all.add(s.latency);
    return all.summary();
  }

  private of(operation: Operation) {
    let s = this.byOperation.get(operation);
    if (s === undefined) {
      s = {
        ops: 0,
        errors: 0,
        notFound: 0,
        latency: new LatencyHistogram(),
        intended: new LatencyHistogram(),
      };
      this.byOperation.set(operation, s);
    }
    return s;
  }
}
