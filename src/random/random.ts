import { randomBytes } from "node:crypto";

/** Randomness as the node sees it: real in a process, seeded in the simulation. */
export interface Random {
  /** A uniformly random integer in [0, 2^32). */
  uint32(): number;
}

export const systemRandom: Random = {
  uint32: () => randomBytes(4).readUInt32BE(0),
};
