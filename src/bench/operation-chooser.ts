import type { SeededRandom } from "../random/seeded-random.js";
import { OPERATIONS, type Operation } from "./workloads.js";

/** Picks each operation with its workload proportion (YCSB's DiscreteGenerator). */
export class OperationChooser {
  private readonly cumulative: { operation: Operation; upTo: number }[] = [];

  constructor(
    private readonly random: SeededRandom,
    proportions: Readonly<Record<Operation, number>>,
  ) {
    let total = 0;
    for (const operation of OPERATIONS) {
      const weight = proportions[operation];
      if (!(weight >= 0)) throw new RangeError(`proportion of ${operation} must be >= 0, got ${weight}`);
      if (weight === 0) continue;
      total += weight;
      this.cumulative.push({ operation, upTo: total });
    }
    if (total <= 0)
      throw new RangeError("a workload needs at least one operation with a positive proportion");
    for (const entry of this.cumulative) entry.upTo /= total;
  }

  next(): Operation {
    const u = this.random.float();
    for (const entry of this.cumulative) if (u < entry.upTo) return entry.operation;
    // u < 1 always, but rounding can leave the last bound a hair below it.
    return this.cumulative[this.cumulative.length - 1]!.operation;
  }
}
