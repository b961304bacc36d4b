import type { SeededRandom } from "../../random/seeded-random.js";
import { fnvHash64 } from "../fnv-hash.js";
import type { NumberGenerator } from "./number-generator.js";
import { ZIPFIAN_CONSTANT, ZipfianGenerator } from "./zipfian.js";

/**
 * YCSB draws zipfian ranks over a huge item space (10^16) and hashes each rank into the record
 * range, so the popular records are scattered instead of being records 0, 1, 2, ... This is
 * zeta(10^16, 0.99), which YCSB precomputes because summing 10^16 terms is out of the question.
 */
const SCRAMBLED_ITEM_COUNT = 1e16;
const SCRAMBLED_ZETAN = 26.46902820178302;

/** YCSB's `zipfian` request distribution: zipfian popularity (constant 0.99), popular records scattered. */
export class ScrambledZipfianGenerator implements NumberGenerator {
  private readonly zipfian: ZipfianGenerator;
  private readonly itemCount: bigint;

  constructor(
    random: SeededRandom,
    private readonly min: number,
    max: number,
  ) {
    if (!(max >= min)) throw new RangeError(`zipfian range [${min}, ${max}] is empty`);
    this.itemCount = BigInt(max - min + 1);
    this.zipfian = new ZipfianGenerator(random, 0, SCRAMBLED_ITEM_COUNT, ZIPFIAN_CONSTANT, SCRAMBLED_ZETAN);
  }

  next(): number {
    return this.min + Number(fnvHash64(this.zipfian.next()) % this.itemCount);
  }
}
