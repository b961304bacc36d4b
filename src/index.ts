/** The package's public surface: `import { NodeHttpClient, createNode } from "ringkv"`. */
export {
  type GetResult,
  type HttpClientOptions,
  NodeHttpClient,
  NodeUnreachableError,
  type QuorumParams,
  RingkvHttpError,
  type Sibling,
} from "./client/http-client.js";
export type { NodeOptions } from "./config/node-options.js";
export {
  BadRequestError,
  ConflictError,
  NotFoundError,
  QuorumError,
  RingkvError,
  TooManySiblingsError,
  ValueTooLargeError,
} from "./errors.js";
export { createNode, RingkvNode } from "./node.js";
