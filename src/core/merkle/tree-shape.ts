/**
 * How a tree's leaf segments are grouped, and the one-byte header that lets a message say which
 * grouping it was cut from. Shared by the tree (which writes messages) and the diff functions
 * (which read a peer's).
 */
import { MerkleMessageError } from "./merkle-message-error.js";

/** Fewer segments make every difference cost a large leaf; more make a tree over 512 KiB. */
export const treeSegmentsMin = 64;
export const treeSegmentsMax = 65536;

/** Bytes of one leaf, branch or root hash: 64 bits, as TicTac trees use. */
export const hashBytes = 8;

/** Bytes before the hashes in a branches() or leaves() message: log2 of the segment count. */
export const messageHeaderBytes = 1;

export interface TreeShape {
  readonly segments: number;
  readonly log2Segments: number;
  readonly branches: number;
  readonly leavesPerBranch: number;
}

export function isValidSegmentCount(segments: number): boolean {
  return (
    Number.isInteger(segments) &&
    segments >= treeSegmentsMin &&
    segments <= treeSegmentsMax &&
    (segments & (segments - 1)) === 0
  );
}

/**
 * About sqrt(segments) branches of about sqrt(segments) leaves: the first message and the
 * leaves of one differing branch are then both small (32 x 32 for 1024 segments, 256 bytes each).
 */
export function treeShape(segments: number): TreeShape {
  if (!isValidSegmentCount(segments)) {
    throw new Error(
      `tree segments must be a power of two in ${treeSegmentsMin}..${treeSegmentsMax}, got ${segments}`,
    );
  }
  const log2Segments = Math.log2(segments);
  const branches = 2 ** Math.floor(log2Segments / 2);
  return { segments, log2Segments, branches, leavesPerBranch: segments / branches };
}

/** The shape a peer's message claims, refused unless it is one a tree can have. */
export function shapeOfMessage(message: Uint8Array, what: string): TreeShape {
  if (!(message instanceof Uint8Array) || message.length < messageHeaderBytes) {
    throw new MerkleMessageError(`${what} is empty or not bytes`);
  }
  const log2Segments = message[0] as number;
  if (log2Segments >= 31 || !isValidSegmentCount(2 ** log2Segments)) {
    throw new MerkleMessageError(`${what} claims 2^${log2Segments} segments, which no tree has`);
  }
  return treeShape(2 ** log2Segments);
}

/**
 * Branch ids a peer sent or that index a peer's message: integers, in range, strictly
 * increasing. Increasing order makes duplicates impossible and bounds the list by the branch count.
 */
export function checkBranchIds(branchIds: readonly number[], shape: TreeShape): void {
  if (!Array.isArray(branchIds)) throw new MerkleMessageError("branch ids are not an array");
  let previous = -1;
  for (const id of branchIds) {
    if (!Number.isInteger(id) || id <= previous || id >= shape.branches) {
      throw new MerkleMessageError(
        `branch ids must be strictly increasing integers in 0..${shape.branches - 1}, got ${String(id)} after ${previous}`,
      );
    }
    previous = id;
  }
}
