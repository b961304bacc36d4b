import { randomInt } from "node:crypto";
import { SeededRandom } from "../../src/random/seeded-random.js";

/** Set it to a seed a failing run printed to replay that run's random choices. */
export const TEST_SEED_ENV = "RINGKV_TEST_SEED";

let chosen: number | undefined;

/**
 * The seed of this test process's random choices: $RINGKV_TEST_SEED when set, else one drawn
 * once at random. It is printed the first time it is asked for, with the variable that replays
 * it, so the output of a failed run says how to run exactly the same choices again.
 */
export function testSeed(): number {
  if (chosen !== undefined) return chosen;
  const given = process.env[TEST_SEED_ENV];
  if (given !== undefined && given !== "") {
    const seed = Number(given);
    if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32)
      throw new Error(`${TEST_SEED_ENV} must be an integer in 0..${2 ** 32 - 1}, got "${given}"`);
    chosen = seed;
  } else {
    chosen = randomInt(0, 2 ** 32);
  }
  process.stderr.write(`test seed ${chosen}: replay with ${TEST_SEED_ENV}=${chosen} (${process.argv[1]})\n`);
  return chosen;
}

/** A generator for one use (`label`) of the test seed, independent of the file's other uses. */
export function testRandom(label: string): SeededRandom {
  let hash = testSeed() ^ 0x811c9dc5;
  for (const char of label) hash = Math.imul(hash ^ (char.codePointAt(0) ?? 0), 0x01000193) >>> 0;
  return new SeededRandom(hash);
}
