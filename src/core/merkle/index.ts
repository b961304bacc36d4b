export { causalDigest, causalDigestBytes } from "./causal-digest.js";
export { DigestCache } from "./digest-cache.js";
export { MerkleMessageError } from "./merkle-message-error.js";
export { defaultTreeOptions, segmentOf, TicTacTree, type TreeOptions } from "./tictac-tree.js";
export { differingBranches, differingSegments } from "./tree-diff.js";
export { isValidSegmentCount, treeSegmentsMax, treeSegmentsMin } from "./tree-shape.js";
