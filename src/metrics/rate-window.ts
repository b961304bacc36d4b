export interface RateWindowOptions {
  /** Width of one slot of the ring of counters. */
  slotMs: number;
  /** Slots kept: the window spans `slots` slots, the newest one still filling. */
  slots: number;
}

/** Ten one-second slots: rates and latencies over the last ~10 s, refreshed every second. */
export const defaultRateWindowOptions: RateWindowOptions = { slotMs: 1000, slots: 10 };

/** What one operation did over the window. Latencies are null when nothing was observed. */
export interface OperationWindowStats {
  count: number;
  errors: number;
  opsPerSecond: number;
  errorsPerSecond: number;
  meanMs: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

/**
 * Latency bucket upper bounds in milliseconds: 10 µs growing by 2^(1/4) (about 19%) per bucket up
 * to past 60 s. Fine enough that an interpolated quantile is within a bucket's width of the truth,
 * small enough (91 bounds) to keep one histogram per operation per slot.
 */
export const LATENCY_BOUNDS_MS: readonly number[] = latencyBounds(0.01, 2 ** 0.25, 60_000);

function latencyBounds(firstMs: number, growth: number, lastMs: number): number[] {
  const bounds: number[] = [];
  for (let b = firstMs; bounds.length === 0 || (bounds.at(-1) as number) < lastMs; b *= growth)
    bounds.push(b);
  return bounds;
}

interface Slot {
  /** floor(timeMs / slotMs) of the slot this entry holds; -1 while unused. */
  index: number;
  counts: number[];
  errors: number[];
  sumMs: number[];
  maxMs: number[];
  /** Per operation: LATENCY_BOUNDS_MS.length buckets plus one for anything larger. */
  buckets: Uint32Array[];
}

/**
 * Request counts and latencies per operation over a sliding window of fixed slots, for the
 * dashboard's "ops/s, p50, p99" (Prometheus keeps totals; a scraper computes rates, a browser
 * cannot). Pure: the caller passes the time, so tests drive it without waiting.
 */
export class RateWindow<Op extends string> {
  private readonly slots: Slot[];

  constructor(
    private readonly operations: readonly Op[],
    private readonly options: RateWindowOptions,
    private readonly startedAtMs: number,
  ) {
    if (!Number.isInteger(options.slots) || options.slots < 1) throw new RangeError("slots must be >= 1");
    if (!(options.slotMs > 0)) throw new RangeError("slotMs must be > 0");
    this.slots = Array.from({ length: options.slots }, () => ({
      index: -1,
      counts: operations.map(() => 0),
      errors: operations.map(() => 0),
      sumMs: operations.map(() => 0),
      maxMs: operations.map(() => 0),
      buckets: operations.map(() => new Uint32Array(LATENCY_BOUNDS_MS.length + 1)),
    }));
  }

  /** Counts one finished operation that took `durationMs` (failed when `error`) at `nowMs`. */
  record(op: Op, durationMs: number, error: boolean, nowMs: number): void {
    const o = this.operations.indexOf(op);
    if (o < 0) throw new RangeError(`unknown operation ${op}`);
    const slot = this.slotAt(nowMs);
    const ms = Number.isFinite(durationMs) && durationMs > 0 ? durationMs : 0;
    slot.counts[o] = (slot.counts[o] ?? 0) + 1;
    if (error) slot.errors[o] = (slot.errors[o] ?? 0) + 1;
    slot.sumMs[o] = (slot.sumMs[o] ?? 0) + ms;
    slot.maxMs[o] = Math.max(slot.maxMs[o] ?? 0, ms);
    const buckets = slot.buckets[o] as Uint32Array;
    const b = bucketOf(ms);
    buckets[b] = (buckets[b] ?? 0) + 1;
  }

  /** Seconds the window covers at `nowMs`: every slot but the newest is whole; never more than the node's age. */
  spanSeconds(nowMs: number): number {
    const { slotMs, slots } = this.options;
    const current = Math.floor(nowMs / slotMs);
    const full = (slots - 1) * slotMs + (nowMs - current * slotMs);
    // At least one slot, so a burst in the first milliseconds is not reported as a huge rate.
    return Math.max(slotMs, Math.min(full, nowMs - this.startedAtMs)) / 1000;
  }

  /** Every operation's counts, rates and latency quantiles over the window ending at `nowMs`. */
  summary(nowMs: number): Record<Op, OperationWindowStats> {
    const current = Math.floor(nowMs / this.options.slotMs);
    const live = this.slots.filter((s) => s.index > current - this.options.slots && s.index <= current);
    const span = this.spanSeconds(nowMs);
    const result = {} as Record<Op, OperationWindowStats>;
    this.operations.forEach((op, o) => {
      let count = 0;
      let errors = 0;
      let sumMs = 0;
      let maxMs = 0;
      const buckets = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
      for (const slot of live) {
        count += slot.counts[o] ?? 0;
        errors += slot.errors[o] ?? 0;
        sumMs += slot.sumMs[o] ?? 0;
        maxMs = Math.max(maxMs, slot.maxMs[o] ?? 0);
        const from = slot.buckets[o] as Uint32Array;
        for (let b = 0; b < buckets.length; b++) buckets[b] = (buckets[b] ?? 0) + (from[b] ?? 0);
      }
      result[op] = {
        count,
        errors,
        opsPerSecond: count / span,
        errorsPerSecond: errors / span,
        meanMs: count === 0 ? null : sumMs / count,
        p50Ms: quantileMs(buckets, 0.5, maxMs),
        p99Ms: quantileMs(buckets, 0.99, maxMs),
        maxMs: count === 0 ? null : maxMs,
      };
    });
    return result;
  }

  /** The slot for `nowMs`, cleared first when it last held an older slot. */
  private slotAt(nowMs: number): Slot {
    const index = Math.floor(nowMs / this.options.slotMs);
    const slot = this.slots[((index % this.options.slots) + this.options.slots) % this.options.slots] as Slot;
    if (slot.index !== index) {
      slot.index = index;
      slot.counts.fill(0);
      slot.errors.fill(0);
      slot.sumMs.fill(0);
      slot.maxMs.fill(0);
      for (const b of slot.buckets) b.fill(0);
    }
    return slot;
  }
}

/** Index of the first bucket whose upper bound holds `ms` (the last bucket is unbounded). */
export function bucketOf(ms: number): number {
  let lo = 0;
  let hi = LATENCY_BOUNDS_MS.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((LATENCY_BOUNDS_MS[mid] as number) >= ms) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The q-quantile of a bucketed latency distribution, interpolated linearly inside the bucket that
 * holds it (as Prometheus' histogram_quantile does), and never above the largest value seen.
 * Null when the buckets are empty.
 */
export function quantileMs(buckets: readonly number[], q: number, maxMs: number): number | null {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile ${q} is outside 0..1`);
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let below = 0;
  for (let b = 0; b < buckets.length; b++) {
    const inBucket = buckets[b] ?? 0;
    if (inBucket > 0 && below + inBucket >= rank) {
      const lower = b === 0 ? 0 : (LATENCY_BOUNDS_MS[b - 1] as number);
      const upper = LATENCY_BOUNDS_MS[b] ?? maxMs;
      const value = lower + (upper - lower) * ((rank - below) / inBucket);
      return Math.min(value, maxMs);
    }
    below += inBucket;
  }
  return maxMs;
}
