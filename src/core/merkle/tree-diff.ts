/**
 * Comparing two trees from their messages. Both arguments may come from a peer, so every
 * length, header and id is checked and a malformed message is refused with a
 * MerkleMessageError rather than read past its end or compared against the wrong segments.
 */
import { MerkleMessageError } from "./merkle-message-error.js";
import {
  checkBranchIds,
  hashBytes,
  messageHeaderBytes,
  shapeOfMessage,
  type TreeShape,
} from "./tree-shape.js";

/** Which branches differ between two trees' branch summaries (from branches()), ascending. */
export function differingBranches(a: Uint8Array, b: Uint8Array): number[] {
  const shape = sameShape(a, b, "branch summary");
  expectLength(a, shape.branches * hashBytes, "branch summary a");
  expectLength(b, shape.branches * hashBytes, "branch summary b");
  return differingHashes(a, b, shape.branches);
}

/**
 * Which segments differ, ascending, given the leaves of the same branches (from leaves(branchIds))
 * from both sides.
 */
export function differingSegments(branchIds: readonly number[], a: Uint8Array, b: Uint8Array): number[] {
  const shape = sameShape(a, b, "leaf list");
  checkBranchIds(branchIds, shape);
  const leafCount = branchIds.length * shape.leavesPerBranch;
  expectLength(a, leafCount * hashBytes, "leaf list a");
  expectLength(b, leafCount * hashBytes, "leaf list b");
  // Position i in the lists is leaf i % leavesPerBranch of branch branchIds[i / leavesPerBranch].
  return differingHashes(a, b, leafCount).map((i) => {
    const branch = branchIds[Math.floor(i / shape.leavesPerBranch)] as number;
    return branch * shape.leavesPerBranch + (i % shape.leavesPerBranch);
  });
}

function sameShape(a: Uint8Array, b: Uint8Array, what: string): TreeShape {
  const shapeA = shapeOfMessage(a, `${what} a`);
  const shapeB = shapeOfMessage(b, `${what} b`);
  if (shapeA.segments !== shapeB.segments) {
    // Comparing leaves of differently cut trees would report nonsense segments; the nodes'
    // tree options differ and must be made equal.
    throw new MerkleMessageError(
      `${what}s come from trees of ${shapeA.segments} and ${shapeB.segments} segments`,
    );
  }
  return shapeA;
}

function expectLength(message: Uint8Array, hashBytesExpected: number, what: string): void {
  const expected = messageHeaderBytes + hashBytesExpected;
  if (message.length !== expected) {
    throw new MerkleMessageError(`${what} is ${message.length} bytes, expected ${expected}`);
  }
}

/** Indexes of the 8-byte hashes that differ, after the header. */
function differingHashes(a: Uint8Array, b: Uint8Array, count: number): number[] {
  const differing: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = messageHeaderBytes + i * hashBytes;
    for (let j = start; j < start + hashBytes; j++) {
      if (a[j] !== b[j]) {
        differing.push(i);
        break;
      }
    }
  }
  return differing;
}
