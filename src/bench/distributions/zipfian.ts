import type { SeededRandom } from "../../random/seeded-random.js";
import type { NumberGenerator } from "./number-generator.js";

/** YCSB's zipfian constant (theta): item i is drawn with probability proportional to 1 / (i+1)^0.99. */
export const ZIPFIAN_CONSTANT = 0.99;

/** The generalized harmonic number sum_{i=from+1}^{to} 1/i^theta, added to `initial`. */
export function zeta(from: number, to: number, theta: number, initial = 0): number {
  let sum = initial;
  for (let i = from; i < to; i++) sum += 1 / (i + 1) ** theta;
  return sum;
}

/**
 * Zipfian ranks in [min, max]: min is the most popular item, min+1 the next, and so on. The
 * algorithm is Gray et al., "Quickly Generating Billion-Record Synthetic Databases" (SIGMOD 1994),
 * as YCSB's ZipfianGenerator uses it. `nextFor(itemCount)` draws over a grown item count (the
 * latest distribution grows with inserts), extending zeta incrementally rather than from scratch.
 */
export class ZipfianGenerator implements NumberGenerator {
  private readonly alpha: number;
  private readonly zeta2theta: number;
  private zetan: number;
  private eta: number;
  private countForZeta: number;

  /** `zetan` may be given when precomputed (it costs O(items) to compute). */
  constructor(
    private readonly random: SeededRandom,
    private readonly min: number,
    max: number,
    private readonly theta = ZIPFIAN_CONSTANT,
    zetan?: number,
  ) {
    if (!(max >= min)) throw new RangeError(`zipfian range [${min}, ${max}] is empty`);
    const items = max - min + 1;
    this.alpha = 1 / (1 - theta);
    this.zeta2theta = zeta(0, 2, theta);
    this.zetan = zetan ?? zeta(0, items, theta);
    this.countForZeta = items;
    this.eta = this.etaFor(items);
  }

  next(): number {
    return this.nextFor(this.countForZeta);
  }

  /** A rank in [min, min + itemCount); itemCount may only grow (YCSB's default too). */
  nextFor(itemCount: number): number {
    if (itemCount > this.countForZeta) {
      this.zetan = zeta(this.countForZeta, itemCount, this.theta, this.zetan);
      this.countForZeta = itemCount;
      // YCSB keeps eta of the first item count here; using the current one is the formula's intent.
      this.eta = this.etaFor(itemCount);
    }
    const u = this.random.float();
    const uz = u * this.zetan;
    if (uz < 1) return this.min;
    if (uz < 1 + 0.5 ** this.theta) return this.min + 1;
    const rank = Math.floor(itemCount * (this.eta * u - this.eta + 1) ** this.alpha);
    // Floating point can land exactly on itemCount for u close to 1.
    return this.min + Math.min(rank, itemCount - 1);
  }

  private etaFor(items: number): number {
    return (1 - (2 / items) ** (1 - this.theta)) / (1 - this.zeta2theta / this.zetan);
  }
}
