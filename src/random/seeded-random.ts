import type { Random } from "./random.js";

/**
 * The one seeded generator of the project: mulberry32, a 32-bit counter hashed into each output.
 * Small, fast and uniform, not cryptographic. The simulation's regression seeds and every seeded
 * test replay the exact sequence this draws, so its arithmetic must not change: a different
 * sequence would silently turn each recorded seed into a different run.
 */
export class SeededRandom implements Random {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A uniformly random integer in [0, 2^32). */
  uint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A uniformly random double in [0, 1) with 53 random bits (two draws). */
  float(): number {
    const high = this.uint32() >>> 5; // 27 bits
    const low = this.uint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** A uniformly random integer in [0, bound), for bound up to 2^53. */
  below(bound: number): number {
    return Math.floor(this.float() * bound);
  }

  /** A new generator seeded from this one's next draws (one per bench client). */
  fork(): SeededRandom {
    return new SeededRandom(this.uint32() ^ this.uint32());
  }
}
