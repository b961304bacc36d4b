import type { ClusterView } from "../cluster/cluster-view.js";
import type { Gossiper } from "../cluster/gossiper.js";
import {
  type ClusterState,
  findMember,
  type MemberRecord,
  type RingState,
} from "../core/membership/cluster-state.js";
import type { LivenessStatus } from "../core/membership/failure-detector.js";
import { type RingView, ringView } from "../core/ring/ring-view.js";

/**
 * The cluster as this node's gossiper knows it. The ring view is built once per ring: states are
 * immutable and a merge keeps the ring object it prefers, so the same object is the same ring.
 */
export class GossipClusterView implements ClusterView {
  private cachedRing: { source: RingState; view: RingView } | undefined;

  constructor(
    private readonly gossiper: Gossiper,
    /** The cluster's N; a ring with fewer distinct owners has as many home replicas as owners. */
    private readonly n: number,
  ) {}

  state(): ClusterState {
    return this.gossiper.current;
  }

  member(id: string): MemberRecord | undefined {
    return findMember(this.gossiper.current, id);
  }

  status(id: string): LivenessStatus {
    return this.gossiper.status(id);
  }

  downForMs(id: string): number {
    return this.gossiper.downForMs(id);
  }

  addressOf(id: string): string | undefined {
    return this.member(id)?.listen;
  }

  /** The id of the member at an inter-node address, if known (fault injection names peers by id). */
  idAt(address: string): string | undefined {
    return this.gossiper.current.members.find((m) => m.listen === address)?.id;
  }

  ring(): RingView | undefined {
    const ring = this.gossiper.current.ring;
    if (ring === null) return undefined;
    if (this.cachedRing?.source !== ring) {
      const n = Math.min(this.n, new Set(ring.owners).size);
      this.cachedRing = { source: ring, view: ringView(ring.owners, n, ring.version, ring.next) };
    }
    return this.cachedRing.view;
  }
}
