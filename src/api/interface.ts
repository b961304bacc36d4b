import type { ClusterSettings, RequestLimits } from "../config/node-options.js";
import type { Coordinator } from "../coordinator/coordinator.js";
import type { ConflictMode } from "../core/conflict-mode.js";
import type { NamespaceProperties } from "../core/namespace/index.js";
import type { Logger } from "../log/logger.js";
import type { NodeMetrics } from "../metrics/node-metrics.js";

export type MembershipState = "joining" | "active" | "leaving" | "left";
export type MemberStatus = "up" | "suspect" | "down";

export interface MemberInfo {
  id: string;
  listen: string;
  http: string;
  /** The member's --zone (failure domain), or null when it has none. */
  zone: string | null;
  state: MembershipState;
  status: MemberStatus;
  /** Keys, hints and disk bytes the member last reported through gossip. */
  load: { keys: number; hints: number; diskBytes: number };
  /** Partitions it is the primary owner of (in the current ring). */
  partitions: number;
  /** Receiving partitions for a pending ring change: remaining partitions, keys and bytes moved. */
  transfer: { version: number; remaining: number; keys: number; bytes: number };
}

export interface RingInfo {
  partitions: number;
  n: number;
  r: number;
  w: number;
  /** The cluster's conflict mode (`causal` or `lww`), fixed when it was created. */
  conflictMode: ConflictMode;
  /** Ring version: increases on every ownership change. */
  version: number;
  owners: string[][];
  /**
   * The pending ring change, if one is planned: each partition's home replicas (N) in the ring
   * being moved to; `null` when no change is pending. Shown so an operator (and a test) can see
   * what a change waits for and when it completed.
   */
  next?: string[][] | null;
}

/** What one node holds locally for a key, as /debug/replicas shows it. */
export interface ReplicaDebugInfo {
  id: string;
  status: MemberStatus;
  values?: string[];
  contentTypes?: string[];
  deleted?: boolean;
  context?: string | null;
  error?: "unreachable";
  /** For a fallback: the home replica its hint is for. */
  hintFor?: string;
}

export interface DebugReplicasInfo {
  key: string;
  partition: number;
  replicas: ReplicaDebugInfo[];
  fallbacks: ReplicaDebugInfo[];
}

/** The namespaces' properties, as the cluster metadata holds them (src/node/metadata-namespaces.ts). */
export interface NamespaceDirectory {
  /** What was set for `namespace` (empty when never configured). */
  properties(namespace: string): NamespaceProperties;
  /** Every configured namespace, by name. */
  list(): [string, NamespaceProperties][];
  /** Replaces the namespace's properties on this node, durably, and spreads them to every node. */
  set(namespace: string, properties: NamespaceProperties): Promise<void>;
}

/**
 * GET /stats `namespaceKeys`: stored entries per namespace on one node (src/node/namespace-key-counts.ts).
 * Approximate: tombstones, unreclaimed expired versions and copies being handed off count too.
 */
export interface NamespaceKeyCountsReport {
  /** Namespaces with at least one entry here, by name. */
  namespaces: { name: string; keys: number }[];
  /** False when a limit cut the count short: the figures are then lower bounds. */
  complete: boolean;
  /** When the count was taken (epoch ms); counts are reused for about 10 s. */
  countedAtMs: number;
}

/** What the client API needs from the node it serves. */
export interface ApiNode {
  readonly id: string;
  /** False until the node has joined its cluster and serves requests. */
  readonly ready: boolean;
  readonly settings: ClusterSettings;
  readonly limits: RequestLimits;
  readonly coordinator: Coordinator;
  /** The current ring's version, once there is a ring. */
  ringVersion(): number | undefined;
  /** The node's clock (virtual in simulations), which stamps a write's time. */
  nowMs(): number;
  readonly metrics: NodeMetrics;
  readonly logger: Logger;
  members(): MemberInfo[];
  ring(): RingInfo;
  /** `key` is a stored key (core/namespace encodeKey). */
  debugReplicas(key: Uint8Array): Promise<DebugReplicasInfo>;
  /** The namespaces' properties, once the node serves. */
  namespaces(): NamespaceDirectory;
  /** This node's approximate key counts per namespace; undefined before it serves. */
  namespaceKeyCounts(): NamespaceKeyCountsReport | undefined;
  /** This node hands its partitions and hints over and leaves the ring, then its process exits. */
  leave(): Promise<void>;
  /** Permanently removes a node that is down; the others re-create its replicas. */
  remove(id: string): Promise<void>;
}
