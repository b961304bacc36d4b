import { createHash } from "node:crypto";
import type { Random } from "../../src/random/random.js";
import { SeededRandom } from "../../src/random/seeded-random.js";

/**
 * A seeded Random with the helpers the simulation needs. Each consumer (a node, the network, a
 * client, the fault schedule) gets its own stream derived from the seed and a label, so adding
 * a draw in one place does not shift every other decision of the run.
 */
export class SimRandom implements Random {
  private readonly source: Random;

  constructor(
    readonly seed: number,
    readonly label = "root",
  ) {
    this.source = new SeededRandom(streamSeed(seed, label));
  }

  /** An independent stream for `label`, the same for the same seed. */
  fork(label: string): SimRandom {
    return new SimRandom(this.seed, `${this.label}/${label}`);
  }

  uint32(): number {
    return this.source.uint32();
  }

  /** A uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + (this.uint32() % (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.uint32() / 2 ** 32 < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("pick from an empty list");
    return items[this.uint32() % items.length] as T;
  }

  /** One of `choices` with probability proportional to its weight. */
  weighted<T>(choices: readonly (readonly [T, number])[]): T {
    const total = choices.reduce((sum, [, w]) => sum + w, 0);
    let x = (this.uint32() / 2 ** 32) * total;
    for (const [value, weight] of choices) {
      if (x < weight) return value;
      x -= weight;
    }
    return (choices[choices.length - 1] as readonly [T, number])[0];
  }

  /** A random subset of `items` of exactly `count` elements, in the items' order. */
  sample<T>(items: readonly T[], count: number): T[] {
    const chosen = new Set<number>();
    while (chosen.size < Math.min(count, items.length)) chosen.add(this.uint32() % items.length);
    return items.filter((_, i) => chosen.has(i));
  }
}

function streamSeed(seed: number, label: string): number {
  return createHash("sha256").update(`${seed}:${label}`).digest().readUInt32BE(0);
}
