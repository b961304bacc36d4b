import type { ClusterState, MemberRecord } from "../core/membership/cluster-state.js";
import type { LivenessStatus } from "../core/membership/failure-detector.js";
import type { RingView } from "../core/ring/ring-view.js";

/**
 * What a subsystem reads about the cluster: the membership and ring this node knows, and its
 * failure detector's view of each member. One object, built by the node and passed to every
 * subsystem, so they all see the same cluster.
 */
export interface ClusterView {
  /** The newest cluster state this node knows. */
  state(): ClusterState;
  member(id: string): MemberRecord | undefined;
  /** This node's failure-detector view of a member (always "up" for itself). */
  status(id: string): LivenessStatus;
  /** How long a member has been down as this node sees it: 0 while up or suspect (and for itself). */
  downForMs(id: string): number;
  /** The inter-node address of a member, or undefined if unknown. */
  addressOf(id: string): string | undefined;
  /** The current ring, or undefined while the cluster has none yet. */
  ring(): RingView | undefined;
}
