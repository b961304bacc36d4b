/** How a node is assembled: bootstrap, services built whole, the cluster view, the API read model. */
export { type ClusterMembership, type NodeStart, openNodeStart, resolveCluster } from "./bootstrap.js";
export { GossipClusterView } from "./cluster-view.js";
export { Departure, type DepartureOptions, defaultDepartureOptions } from "./departure.js";
export {
  buildServices,
  MEMBERS_MAX,
  type NodeServices,
  protocolLimits,
  type ServiceInputs,
} from "./services.js";
