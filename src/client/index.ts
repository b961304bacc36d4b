/** The client library's public surface. */
export { Client, type ResolveSiblings, type UpdateOptions } from "./client.js";
export { type ClientOptions, type ClientSecurityOptions, defaultClientOptions } from "./client-options.js";
export {
  NodeUnreachableError,
  NoNodeAvailableError,
  PreconditionFailedError,
  RingkvHttpError,
  UnavailableError,
  UnresolvedSiblingsError,
} from "./errors.js";
export { type HttpClientOptions, NodeHttpClient } from "./http-client.js";
export type { KeysOptions, KeysPage } from "./key-listing.js";
export type { DeleteOptions, GetResult, PutOptions, PutResult, QuorumParams, Sibling } from "./kv-answers.js";
