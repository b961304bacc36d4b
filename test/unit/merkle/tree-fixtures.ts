/** Key -> digest maps and the trees built from them, shared by the tree and diff properties. */
import fc from "fast-check";
import { causalDigestBytes, TicTacTree } from "../../../src/core/merkle/index.js";

/** What one replica holds for a partition: hex(key) -> [key, digest]. */
export type DigestMap = Map<string, readonly [Uint8Array, Uint8Array]>;

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

export const keyArb = fc.uint8Array({ minLength: 1, maxLength: 48 });
export const digestArb = fc.uint8Array({ minLength: causalDigestBytes, maxLength: causalDigestBytes });

/** Few segments make several keys share a leaf, which is where XOR updates could go wrong. */
export const segmentsArb = fc.constantFrom(64, 128, 1024, 2048);

/** Distinct keys (by content), so a pool index names one key. */
export const keyPoolArb = fc.uniqueArray(keyArb, { minLength: 1, maxLength: 60, selector: hex });

/** A fresh tree that was told about each key once, in map order. */
export function treeOf(map: DigestMap, segments: number): TicTacTree {
  const tree = new TicTacTree({ segments });
  for (const [key, digest] of map.values()) tree.update(key, undefined, digest);
  return tree;
}

export function branchCountOf(tree: TicTacTree): number {
  return (tree.branches().length - 1) / 8;
}

export function allBranchIds(tree: TicTacTree): number[] {
  return Array.from({ length: branchCountOf(tree) }, (_, i) => i);
}

/** Everything a peer could learn about a tree, for deep comparison. */
export function snapshot(tree: TicTacTree): { root: string; branches: string; leaves: string; keys: number } {
  return {
    root: hex(tree.root()),
    branches: hex(tree.branches()),
    leaves: hex(tree.leaves(allBranchIds(tree))),
    keys: tree.keyCount,
  };
}
