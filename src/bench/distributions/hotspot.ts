import type { SeededRandom } from "../../random/seeded-random.js";
import type { NumberGenerator } from "./number-generator.js";

/** YCSB's hotspot defaults: 20% of the records (the hot set) take 80% of the operations. */
export const HOTSPOT_DATA_FRACTION = 0.2;
export const HOTSPOT_OPERATION_FRACTION = 0.8;

/**
 * YCSB's hotspot distribution over [min, max]: the hot set is the lowest `dataFraction` of the
 * range, drawn with probability `operationFraction`; within each set records are uniform.
 */
export class HotspotGenerator implements NumberGenerator {
  private readonly hotCount: number;
  private readonly coldCount: number;

  constructor(
    private readonly random: SeededRandom,
    private readonly min: number,
    max: number,
    dataFraction = HOTSPOT_DATA_FRACTION,
    private readonly operationFraction = HOTSPOT_OPERATION_FRACTION,
  ) {
    if (!(max >= min)) throw new RangeError(`hotspot range [${min}, ${max}] is empty`);
    if (!(dataFraction >= 0 && dataFraction <= 1 && operationFraction >= 0 && operationFraction <= 1))
      throw new RangeError("hotspot fractions must be within [0, 1]");
    const items = max - min + 1;
    this.hotCount = Math.floor(items * dataFraction);
    this.coldCount = items - this.hotCount;
  }

  next(): number {
    const hot = this.coldCount === 0 || (this.hotCount > 0 && this.random.float() < this.operationFraction);
    return hot
      ? this.min + this.random.below(this.hotCount)
      : this.min + this.hotCount + this.random.below(this.coldCount);
  }
}
