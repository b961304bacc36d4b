import type { SeededRandom } from "../random/seeded-random.js";

const ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/**
 * Values to write, made once up front so the clients spend no time generating bytes: a small
 * ring of distinct random printable values of the configured size, handed out in turn.
 */
export class ValuePool {
  private readonly values: Uint8Array[] = [];
  private turn = 0;

  constructor(random: SeededRandom, valueBytes: number, distinct = 64) {
    for (let v = 0; v < distinct; v++) {
      const value = new Uint8Array(valueBytes);
      for (let i = 0; i < valueBytes; i++) value[i] = ALPHABET.charCodeAt(random.below(ALPHABET.length));
      this.values.push(value);
    }
  }

  next(): Uint8Array {
    const value = this.values[this.turn]!;
    this.turn = (this.turn + 1) % this.values.length;
    return value;
  }
}
