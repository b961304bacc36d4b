export interface CountWindowOptions {
  /** Width of one slot of the ring of counters. */
  slotMs: number;
  /** Slots kept: the window spans `slots - 1` whole slots plus the newest one, still filling. */
  slots: number;
  /**
   * Distinct keys (hint targets) one slot counts apart at most; counts for more keys go to
   * OTHER_KEY, so a careless or hostile stream of target names cannot grow memory.
   */
  keysPerSlotMax: number;
}

/** Where counts for keys past `keysPerSlotMax` go. Never a node id: those are not empty. */
export const OTHER_KEY = "";

/**
 * The repair view's window: 5-minute slots, 24 hours and one slot kept, so "the last 24 h" is
 * always whole, and "the last hour" is 13 of the same slots. Memory: 289 slots x the targets
 * seen in each (usually a handful) x the fields.
 */
export const defaultRepairWindowOptions: CountWindowOptions = {
  slotMs: 5 * 60_000,
  slots: 24 * 12 + 1,
  keysPerSlotMax: 64,
};

interface Slot {
  /** floor(timeMs / slotMs) of the slot this entry holds; -1 while unused. */
  index: number;
  /** Per key: one count per field, in the fields' order. */
  counts: Map<string, number[]>;
}

/** What a span of the window counted: per key, one total per field. */
export interface CountWindowSpan<Field extends string> {
  /** Seconds the span covers: never more than the window's age, at least one slot. */
  spanSeconds: number;
  byKey: Map<string, Record<Field, number>>;
}

/**
 * Event counts per key (for example per hint target) and per field over a sliding window of fixed
 * slots: the 24-hour view of repair on the dashboard, which Prometheus' totals since start cannot
 * give a browser. Pure: the caller passes the time, so tests drive a day in microseconds.
 */
export class CountWindow<Field extends string> {
  private readonly slots: Slot[];
  /** The newest slot index counted into: a clock that steps back counts there, clearing nothing newer. */
  private newestIndex = -1;

  constructor(
    private readonly fields: readonly Field[],
    private readonly options: CountWindowOptions,
    private readonly startedAtMs: number,
  ) {
    if (!Number.isInteger(options.slots) || options.slots < 1) throw new RangeError("slots must be >= 1");
    if (!(options.slotMs > 0)) throw new RangeError("slotMs must be > 0");
    if (!Number.isInteger(options.keysPerSlotMax) || options.keysPerSlotMax < 1)
      throw new RangeError("keysPerSlotMax must be >= 1");
    if (new Set(fields).size !== fields.length || fields.length === 0)
      throw new RangeError("fields must be distinct and at least one");
    this.slots = Array.from({ length: options.slots }, () => ({ index: -1, counts: new Map() }));
  }

  /** Slots kept: the largest span `totals` takes, and its default. */
  get slotCount(): number {
    return this.options.slots;
  }

  get slotMs(): number {
    return this.options.slotMs;
  }

  /** Counts `n` events of `field` for `key` at `nowMs`. */
  add(key: string, field: Field, n: number, nowMs: number): void {
    const f = this.fields.indexOf(field);
    if (f < 0) throw new RangeError(`unknown field ${field}`);
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`count ${n} is not a non-negative integer`);
    if (n === 0) return;
    const slot = this.slotAt(nowMs);
    let counts = slot.counts.get(key);
    if (counts === undefined) {
      const full = slot.counts.size >= this.options.keysPerSlotMax;
      const stored = full ? OTHER_KEY : key;
      counts = slot.counts.get(stored);
      if (counts === undefined) {
        counts = this.fields.map(() => 0);
        slot.counts.set(stored, counts);
      }
    }
    counts[f] = (counts[f] ?? 0) + n;
  }

  /**
   * Totals per key over the last `spanSlots` slots (the newest one still filling) ending at
   * `nowMs`; the whole window when not given.
   */
  totals(nowMs: number, spanSlots = this.options.slots): CountWindowSpan<Field> {
    if (!Number.isInteger(spanSlots) || spanSlots < 1 || spanSlots > this.options.slots)
      throw new RangeError(`spanSlots must be 1..${this.options.slots}`);
    const { slotMs } = this.options;
    const current = Math.floor(nowMs / slotMs);
    const byKey = new Map<string, Record<Field, number>>();
    for (const slot of this.slots) {
      if (slot.index <= current - spanSlots || slot.index > current) continue;
      for (const [key, counts] of slot.counts) {
        let totals = byKey.get(key);
        if (totals === undefined) {
          totals = Object.fromEntries(this.fields.map((f) => [f, 0])) as Record<Field, number>;
          byKey.set(key, totals);
        }
        this.fields.forEach((f, i) => {
          (totals as Record<Field, number>)[f] += counts[i] ?? 0;
        });
      }
    }
    const full = (spanSlots - 1) * slotMs + (nowMs - current * slotMs);
    const spanSeconds = Math.max(slotMs, Math.min(full, nowMs - this.startedAtMs)) / 1000;
    return { spanSeconds, byKey };
  }

  /** The slot for `nowMs`, cleared first when it last held an older slot. */
  private slotAt(nowMs: number): Slot {
    const index = Math.max(this.newestIndex, Math.floor(nowMs / this.options.slotMs));
    this.newestIndex = index;
    const slots = this.options.slots;
    const slot = this.slots[((index % slots) + slots) % slots] as Slot;
    if (slot.index !== index) {
      slot.index = index;
      slot.counts.clear();
    }
    return slot;
  }
}
