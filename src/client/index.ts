/** The client library's public surface. */
export { Client, type ConnectOptions, type ResolveSiblings, type UpdateOptions } from "./client.js";
export {
  CLIENT_PROTOCOLS,
  type ClientNamespaceOptions,
  type ClientOptions,
  type ClientProtocol,
  type ClientSecurityOptions,
  defaultClientOptions,
} from "./client-options.js";
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
export type { NamespaceInfo, NamespacePropertiesChange } from "./namespace-answers.js";
