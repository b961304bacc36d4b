import type { FailureDetectorOptions } from "../core/membership/failure-detector.js";
import type { PeerFactBounds } from "../core/membership/peer-facts.js";

/** A node's values are in the option table (src/config/tunable-table.ts). */
export interface GossipOptions {
  /** How often this node bumps its heartbeat and starts a gossip round. */
  intervalMs: number;
  /** Peers contacted per round. */
  fanout: number;
  /** A gossip exchange that takes longer is abandoned. */
  requestTimeoutMs: number;
  /** The claimant changes the ring at most this often, so joins arriving together share one change. */
  ringChangeIntervalMs: number;
  /**
   * A joining member down for this long is dropped from a pending ring change (it stays joining
   * and is planned in afresh once up); partition transfer reads around a losing replica down this
   * long. Longer than failureDetector.downAfterMs.
   */
  joinTimeoutMs: number;
  /** A fresh node waits this long for gossip before it may create the first ring. */
  formationDelayMs: number;
  /**
   * A node re-announces its load (keys, hints, bytes) at most this often. Load is informational,
   * and each change is a whole record every node must receive: at 1000 members, announcing it
   * every round would cost more than all the heartbeats.
   */
  loadReportIntervalMs: number;
  failureDetector: FailureDetectorOptions;
  /** What a peer may tell about other members (core/membership/peer-facts.ts). */
  peerFacts: PeerFactBounds;
  /** A refused fact is logged as a warning at most this often per reason; the rest at debug. */
  refusalLogIntervalMs: number;
  /**
   * Clusters of at most this many members always send full digests; larger ones send each
   * exchange of a round one slice of the members (gossip-digest.ts, partialDigestOf), so each
   * member is listed once per round instead of once per exchange.
   */
  fullDigestMembersMax: number;
  /** In a cluster sending partial digests, one exchange in every this many rounds sends a full one. */
  fullDigestEveryRounds: number;
  /** A member that joined, restarted or changed state within this long is listed in every digest. */
  changedMemberDigestMs: number;
}
