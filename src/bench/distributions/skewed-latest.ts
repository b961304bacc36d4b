import type { SeededRandom } from "../../random/seeded-random.js";
import type { InsertSequence } from "./insert-sequence.js";
import type { NumberGenerator } from "./number-generator.js";
import { ZipfianGenerator } from "./zipfian.js";

/**
 * YCSB's `latest` distribution: zipfian over recency, so the most recently inserted record is the
 * most popular, the one before it next, and so on; it follows inserts as they are acknowledged.
 */
export class SkewedLatestGenerator implements NumberGenerator {
  private readonly zipfian: ZipfianGenerator;

  constructor(
    random: SeededRandom,
    private readonly inserts: InsertSequence,
  ) {
    const count = inserts.lastAcknowledged + 1;
    if (count < 1) throw new RangeError("the latest distribution needs at least one record");
    this.zipfian = new ZipfianGenerator(random, 0, count - 1);
  }

  next(): number {
    const max = this.inserts.lastAcknowledged;
    return max - this.zipfian.nextFor(max + 1);
  }
}
