import { build, type Histogram } from "hdr-histogram-js";

/** Latency percentiles in milliseconds (recorded in microseconds, 3 significant digits). */
export interface LatencySummary {
  count: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

/** Highest latency tracked exactly: an hour; a slower operation is recorded as an hour. */
const HIGHEST_TRACKABLE_US = 3_600_000_000;

/**
 * Latencies of one kind of operation. An HdrHistogram keeps every percentile within 0.1% of the
 * exact value at a fixed memory cost, whatever the number of operations.
 */
export class LatencyHistogram {
  private readonly histogram: Histogram = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_TRACKABLE_US,
    numberOfSignificantValueDigits: 3,
    autoResize: false,
  });

  /** Records one latency; fractions of a microsecond round up so nothing is recorded as 0. */
  recordMicros(micros: number): void {
    this.histogram.recordValue(Math.min(HIGHEST_TRACKABLE_US, Math.max(1, Math.ceil(micros))));
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /**
   * The latency at a percentile (0..100], in microseconds. HdrHistogram answers with the top of
   * the value's bucket; no percentile is above the largest value recorded, so clamp to it.
   */
  percentileMicros(percentile: number): number {
    return Math.min(this.histogram.getValueAtPercentile(percentile), this.histogram.maxValue);
  }

  add(other: LatencyHistogram): void {
    this.histogram.add(other.histogram);
  }

  summary(): LatencySummary {
    const count = this.histogram.totalCount;
    const ms = (us: number): number => (count === 0 ? 0 : Math.round(us) / 1000);
    return {
      count,
      meanMs: count === 0 ? 0 : Math.round(this.histogram.mean) / 1000,
      p50Ms: ms(this.percentileMicros(50)),
      p95Ms: ms(this.percentileMicros(95)),
      p99Ms: ms(this.percentileMicros(99)),
      p999Ms: ms(this.percentileMicros(99.9)),
      maxMs: ms(this.histogram.maxValue),
    };
  }
}
