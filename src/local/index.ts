/** Nodes as processes on this machine: what `ringkv dev`, `ringkv demo` and the tests' harness start. */
export {
  LocalNode,
  type LocalNodeSpec,
  type NodePlacement,
  placementFlags,
  RINGKV_SCRIPT,
  type ServingAddresses,
  stopLocalNodes,
} from "./local-node.js";
export { type LocalAccess, waitHealthy, waitMembers } from "./local-waits.js";
