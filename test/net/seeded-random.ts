import type { Random } from "../../src/random/random.js";

/** mulberry32: a small, fast, seeded generator; plenty for choosing faults in tests. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return {
    uint32() {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return (t ^ (t >>> 14)) >>> 0;
    },
  };
}
