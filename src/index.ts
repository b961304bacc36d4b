/** The package's public surface: `import { Client, createNode } from "ringkv"`. */
export * from "./client/index.js";
export { defaultNodeOptions, type NodeOptions, type NodeOptionsInput } from "./config/node-options.js";
export {
  BadRequestError,
  ConflictError,
  NotFoundError,
  QuorumError,
  RingkvError,
  TooManySiblingsError,
  ValueTooLargeError,
} from "./errors.js";
export { createNode } from "./node/real-components.js";
export { RingkvNode } from "./node.js";
