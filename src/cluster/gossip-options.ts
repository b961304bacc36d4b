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
  failureDetector: FailureDetectorOptions;
}

export const defaultGossipOptions: GossipOptions = {
  intervalMs: 200,
  fanout: 3,
  requestTimeoutMs: 1000,
  ringChangeIntervalMs: 500,
  formationDelayMs: 1000,
  failureDetector: defaultFailureDetectorOptions,
};
