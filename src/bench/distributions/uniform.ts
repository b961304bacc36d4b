import type { SeededRandom } from "../../random/seeded-random.js";
import type { NumberGenerator } from "./number-generator.js";

/** Every record in [min, max] equally likely. */
export class UniformGenerator implements NumberGenerator {
  constructor(
    private readonly random: SeededRandom,
    private readonly min: number,
    private readonly max: number,
  ) {
    if (!(max >= min)) throw new RangeError(`uniform range [${min}, ${max}] is empty`);
  }

  next(): number {
    return this.min + this.random.below(this.max - this.min + 1);
  }
}
