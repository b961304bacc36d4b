import {
  defaultFailureDetectorOptions,
  type FailureDetectorOptions,
} from "../core/membership/failure-detector.js";

export interface GossipOptions {
  /** How often this node bumps its heartbeat and starts a gossip round. */
  intervalMs: number;
  /** Peers contacted per round. */
  fanout: number;
  /** A gossip exchange that takes longer is abandoned. */
  requestTimeoutMs: number;
  /** The claimant changes the ring at most this often, so joins arriving together share one change. */
  ringChangeIntervalMs: number;
  /** A fresh node waits this long for gossip before it may create the first ring. */
  formationDelayMs: number;
  /**
   * A node re-announces its load (keys, hints, bytes) at most this often. Load is informational,
   * and each change is a whole record every node must receive: at 1000 members, announcing it
   * every round would cost more than all the heartbeats.
   */
  loadReportIntervalMs: number;
  failureDetector: FailureDetectorOptions;
}

export const defaultGossipOptions: GossipOptions = {
  intervalMs: 200,
  fanout: 3,
  requestTimeoutMs: 1000,
  ringChangeIntervalMs: 500,
  formationDelayMs: 1000,
  loadReportIntervalMs: 5000,
  failureDetector: defaultFailureDetectorOptions,
};
